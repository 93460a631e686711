/*
 * cmpctl_profile_show.c - a CMP Profile in one command, and what a device
 * needs to use it:
 *
 *   profile create NAME [FIELD...] --signing-key FILE --signing-chain FILE
 *       --trust-anchors FILE
 *   profile show P --openssl [--server URL]
 *
 * create: POST /cmpProfiles with signingCredentials {privateKey,
 * certificateChain} and trustAnchors read from the files, and signature
 * protection both ways unless the fields say otherwise.
 * show --openssl: the profile's CMP URLs and an `openssl cmp` command line
 * per operation (RFC 9483 4: ir, cr, kur, p10cr, rr, genm), for the
 * files a device keeps in its current directory.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "cmpctl.h"

#define SHOW_HOST_MAX	256

/* Reads FILE (or -) into a string member of body. */
static int
show_add_file(struct ctl *x, json_object *body, const char *key,
    const char *file)
{
	char *buf = NULL;
	size_t len;
	int r;

	if (ctl_read(x, file, &buf, &len) != 0)
		return -1;
	if (memchr(buf, '\0', len) != NULL) {
		fprintf(stderr, "cmpctl: %s: holds a NUL byte\n", file);
		ctl_buf_free(buf);
		return -1;
	}
	r = json_object_object_add(body, key,
	    json_object_new_string_len(buf, (int)len));
	ctl_buf_free(buf);
	return r;
}

int
ctl_profile_create(struct ctl *x, int argc, char **argv)
{
	const char *key = NULL, *chain = NULL, *anchors = NULL;
	char **fields = NULL, *name_field = NULL;
	json_object *body = NULL, *sc = NULL;
	int i, n = 0, r = CTL_FAIL;

	if ((fields = calloc((size_t)argc + 1, sizeof(*fields))) == NULL)
		return CTL_FAIL;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--signing-key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strcmp(argv[i], "--signing-chain") == 0 &&
		    i + 1 < argc)
			chain = argv[++i];
		else if (strcmp(argv[i], "--trust-anchors") == 0 &&
		    i + 1 < argc)
			anchors = argv[++i];
		else if (strncmp(argv[i], "--", 2) == 0) {
			r = CTL_USAGE;
			goto out;
		} else if (i == 0 && strchr(argv[i], '=') == NULL) {
			/* NAME, the same as name=NAME */
			if ((name_field = malloc(strlen(argv[i]) + 6)) ==
			    NULL)
				goto out;
			snprintf(name_field, strlen(argv[i]) + 6, "name=%s",
			    argv[i]);
			fields[n++] = name_field;
		} else
			fields[n++] = argv[i];
	}
	if ((key == NULL) != (chain == NULL)) {
		fprintf(stderr, "cmpctl: --signing-key and --signing-chain "
		    "go together\n");
		goto out;
	}
	if ((body = json_object_new_object()) == NULL ||
	    ctl_fields(x, n, fields, body) != 0)
		goto out;
	if (key != NULL) {
		if (json_object_object_get_ex(body, "signingCredentials",
		    NULL)) {
			fprintf(stderr, "cmpctl: signingCredentials and "
			    "--signing-key: one or the other\n");
			goto out;
		}
		if ((sc = json_object_new_object()) == NULL)
			goto out;
		json_object_object_add(body, "signingCredentials", sc);
		if (show_add_file(x, sc, "privateKey", key) != 0 ||
		    show_add_file(x, sc, "certificateChain", chain) != 0)
			goto out;
		/* a profile that signs is, unless told otherwise, one whose
		 * devices sign: what kur and rr need (RFC 9483 4.1.3, 4.2) */
		if (!json_object_object_get_ex(body,
		    "responseProtectionMethod", NULL))
			json_object_object_add(body, "responseProtectionMethod",
			    json_object_new_string("signature"));
		if (!json_object_object_get_ex(body,
		    "requestProtectionMethod", NULL))
			json_object_object_add(body, "requestProtectionMethod",
			    json_object_new_string("signature"));
	}
	if (anchors != NULL) {
		if (json_object_object_get_ex(body, "trustAnchors", NULL)) {
			fprintf(stderr, "cmpctl: trustAnchors and "
			    "--trust-anchors: one or the other\n");
			goto out;
		}
		if (show_add_file(x, body, "trustAnchors", anchors) != 0)
			goto out;
	}
	if (!json_object_object_get_ex(body, "variant", NULL))
		json_object_object_add(body, "variant",
		    json_object_new_string("v2"));
	r = ctl_do(x, "POST", "/cmpProfiles", body);
 out:
	api_json_free(body);
	free(name_field);
	free(fields);
	return r;
}

/* ------------------------------------------------------------ --openssl */

/* What -server and -tls_used become for a base URL. */
struct show_server {
	char	 base[SHOW_HOST_MAX + 16];	/* scheme://host[:port] */
	char	 hostport[SHOW_HOST_MAX + 8];
	int	 tls;
};

static int
show_parse_server(const char *url, struct show_server *s)
{
	const char *h;
	size_t n;

	memset(s, 0, sizeof(*s));
	if (strncmp(url, "https://", 8) == 0) {
		s->tls = 1;
		h = url + 8;
	} else if (strncmp(url, "http://", 7) == 0)
		h = url + 7;
	else {
		fprintf(stderr, "cmpctl: %s: not an http:// or https:// "
		    "URL\n", url);
		return -1;
	}
	n = strcspn(h, "/?#");
	/* only what a host name, an IP literal and a port are made of: the
	 * lines printed are for a shell */
	if (n == 0 || n > SHOW_HOST_MAX || strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789.-:[]") < n) {
		fprintf(stderr, "cmpctl: %s: no host, or a strange one\n",
		    url);
		return -1;
	}
	snprintf(s->base, sizeof(s->base), "%s://%.*s", s->tls ? "https" :
	    "http", (int)n, h);
	/* a port unless the host ends in one (an IPv6 literal in [] has
	 * colons of its own) */
	if (h[n - 1] != ']' && memchr(h, ':', n) != NULL &&
	    (h[0] != '[' || memchr(h, ']', n) != NULL))
		snprintf(s->hostport, sizeof(s->hostport), "%.*s", (int)n, h);
	else
		snprintf(s->hostport, sizeof(s->hostport), "%.*s:%d", (int)n,
		    h, s->tls ? 443 : 80);
	return 0;
}

/* "/CN=cmpd" for openssl's -recipient from server_name. */
static void
show_recipient(const struct ctl *x, char *buf, size_t n)
{
	X509_NAME *name;
	char *s;

	snprintf(buf, n, "/CN=cmpd");
	if (x->conf.server_name == NULL ||
	    (name = cmp_msg_parse_name(x->conf.server_name)) == NULL)
		return;
	if ((s = X509_NAME_oneline(name, NULL, 0)) != NULL)
		snprintf(buf, n, "%s", s);
	OPENSSL_free(s);
	X509_NAME_free(name);
}

/* Single quotes for sh, when the word needs them. */
static void
show_word(const char *s)
{
	const char *p;

	if (*s != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789/=:.,_+-@") == strlen(s)) {
		fputs(s, stdout);
		return;
	}
	putchar('\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	}
	putchar('\'');
}

/* A value from the database in a "# " comment line: no control
 * character, which could end the comment and start a command. */
static const char *
show_comment_word(const char *s, char *buf, size_t n)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < n; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	buf[i] = '\0';
	return buf;
}

struct show_ctx {
	struct show_server srv;
	char	 path[CTL_PATH_MAX];
	char	 recipient[512];
	const char *ref;		/* NULL: none */
	int	 req_sig, resp_sig;
};

/* The common head of each line: server, path, recipient, protection. */
static void
show_head(const struct show_ctx *s, const char *cmd, int signer_is_device)
{
	printf("openssl cmp -cmd %s -server %s", cmd, s->srv.hostport);
	if (s->srv.tls)
		fputs(" -tls_used -tls_trusted tls-ca.pem", stdout);
	fputs(" -path ", stdout);
	show_word(s->path);
	fputs(" -recipient ", stdout);
	show_word(s->recipient);
	if (s->req_sig)
		fputs(signer_is_device ? " -cert device.crt -key device.key" :
		    " -cert signer.crt -key signer.key", stdout);
	else {
		fputs(" -ref ", stdout);
		show_word(s->ref != NULL ? s->ref : "REFERENCE");
		fputs(" -secret file:secret.txt", stdout);
	}
	if (s->resp_sig)
		fputs(" -trusted trusted.pem", stdout);
}

static void
show_lines(const struct show_ctx *s, const char *name)
{
	printf("\n# ir: a first certificate for device.key, written to "
	    "device.crt\n");
	show_head(s, "ir", 0);
	if (s->req_sig)
		fputs(" -newkey device.key -certout device.crt\n", stdout);
	else
		fputs(" -newkey device.key -subject /CN=device-1 "
		    "-certout device.crt\n", stdout);
	printf("\n# cr: another certificate, device-2.crt\n");
	show_head(s, "cr", 0);
	if (s->req_sig)
		fputs(" -newkey device.key -certout device-2.crt\n", stdout);
	else
		fputs(" -newkey device.key -subject /CN=device-2 "
		    "-certout device-2.crt\n", stdout);
	printf("\n# p10cr: a certificate for the PKCS#10 request device.csr "
	    "(openssl req -new -key device.key -subj /CN=device-1 -out "
	    "device.csr)\n");
	show_head(s, "p10cr", 0);
	fputs(" -csr device.csr -certout device-p10.crt\n", stdout);
	printf("\n# genm: the CA certificates\n");
	show_head(s, "genm", 0);
	fputs(" -infotype caCerts\n", stdout);
	if (!s->req_sig) {
		printf("\n# kur and rr are signed with the certificate "
		    "concerned: not on %s, whose requests carry a MAC "
		    "(requestProtectionMethod sharedSecret); use a profile "
		    "with signature protection for them\n", name);
		return;
	}
	printf("\n# kur: a new key (device-new.key) for device.crt, signed "
	    "with it; the new certificate in device-new.crt\n");
	show_head(s, "kur", 1);
	fputs(" -newkey device-new.key -certout device-new.crt\n", stdout);
	printf("\n# rr: revoke device.crt, signed with it (reason 0, "
	    "unspecified; 1 keyCompromise, 4 superseded, ...)\n");
	show_head(s, "rr", 1);
	fputs(" -oldcert device.crt -revreason 0\n", stdout);
}

int
ctl_profile_openssl(struct ctl *x, const char *p, const char *server)
{
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1], refbuf[256];
	json_object *d = NULL;
	const char *name, *req, *resp;
	struct show_ctx s;
	int status, r = CTL_FAIL;

	memset(&s, 0, sizeof(s));
	if (server == NULL)
		server = x->conf.public_url != NULL ? x->conf.public_url :
		    "http://127.0.0.1";
	if (show_parse_server(server, &s.srv) != 0 ||
	    ctl_item(x, &ctl_obj_profile, p, path, sizeof(path), uuid) != 0)
		return CTL_FAIL;
	status = ctl_call(x, "GET", path, NULL, &d);
	if (!ctl_is_2xx(status) || d == NULL) {
		ctl_error(status, d);
		goto out;
	}
	name = ctl_str(d, "name");
	req = ctl_str(d, "requestProtectionMethod");
	resp = ctl_str(d, "responseProtectionMethod");
	if (name == NULL || req == NULL || resp == NULL) {
		fprintf(stderr, "cmpctl: %s: an incomplete profile\n", p);
		goto out;
	}
	s.req_sig = strcmp(req, "signature") == 0;
	s.resp_sig = strcmp(resp, "signature") == 0;
	s.ref = ctl_str(d, "sharedSecretReference");
	/* one command per line: a reference with a control character is not
	 * printed in one (REFERENCE stands for it, and the comment says so) */
	if (s.ref != NULL && strcspn(s.ref, "\x01\x02\x03\x04\x05\x06\x07"
	    "\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"
	    "\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f") != strlen(s.ref)) {
		printf("# the reference holds a control character: -ref "
		    "REFERENCE stands for it (\"%s\")\n",
		    show_comment_word(s.ref, refbuf, sizeof(refbuf)));
		s.ref = NULL;
	}
	show_recipient(x, s.recipient, sizeof(s.recipient));
	if (ctl_fmt(s.path, sizeof(s.path), "/api/v1/protocols/cmp/%s",
	    name) != 0)
		goto out;

	printf("# CMP Profile %s (%s): requests %s, answers %s%s\n", name,
	    uuid, req, resp, json_object_get_boolean(
	    json_object_object_get(d, "enabled")) ? "" : "; DISABLED");
	printf("# CMP URLs (RFC 6712/9811; any of them):\n");
	printf("#   %s/api/v1/protocols/cmp/%s\n", s.srv.base, name);
	printf("#   %s/.well-known/cmp/p/%s\n", s.srv.base, name);
	printf("#   %s/.well-known/cmp/p/%s/LABEL  (LABEL: initialization, "
	    "certification, keyupdate, pkcs10, revocation, getcacerts, ...)\n",
	    s.srv.base, name);
	printf("# Files in the current directory:\n"
	    "#   device.key      the device's key (openssl genpkey -algorithm "
	    "EC -pkeyopt ec_paramgen_curve:P-256 -out device.key)\n");
	if (s.req_sig)
		printf("#   signer.crt, signer.key  the credential the first "
		    "request is signed with, issued under the profile's trust "
		    "anchors; its subject is the one asked for\n"
		    "#   device-new.key  the new key for kur\n");
	else
		printf("#   secret.txt      the shared secret (first line); "
		    "-ref %s is its reference, the senderKID that tells cmpd "
		    "whose secret protects the request\n", s.ref != NULL ?
		    show_comment_word(s.ref, refbuf, sizeof(refbuf)) :
		    "REFERENCE");
	if (s.resp_sig)
		printf("#   trusted.pem     the root of the profile's signing "
		    "chain (answers are signed)\n");
	if (s.srv.tls)
		printf("#   tls-ca.pem      the CA of the web server's TLS "
		    "certificate\n");
	show_lines(&s, name);
	r = CTL_OK;
 out:
	json_object_put(d);
	return r;
}
