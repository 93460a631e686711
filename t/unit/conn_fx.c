/*
 * What the connector client's unit tests (test_conn.c, test_conn_recon.c)
 * share: certificates made for the test, their encodings as a connector
 * sends them, and the addresses of the scripted connector (conn_srv.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <json.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "cmpd.h"
#include "conn.h"
#include "conn_fx.h"
#include "conn_srv.h"

/*
 * The scripted connector's directory made, and conf as the tests use it:
 * short timeouts, a small reply cap. An http_proxy of the environment
 * must not matter: conn.c ignores it. -1 when the directory cannot be made.
 */
int
fx_setup(struct conf *conf)
{
	if (srv_init() != 0)
		return -1;
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	conf_init(conf);
	conf->connector_connect_timeout = 2;
	conf->connector_timeout = 10;
	conf->connector_reply_max = 16 * 1024;
	return 0;
}

const unsigned char fx_req_der[FX_REQ_DER_LEN] = {
	0x30, 0x0a, 0x02, 0x01, 0x01, 0x04, 0x05, 'h', 'e', 'l',
	'l', 'o', 0xff, 0x00, 0x80,
};

/* A new EC P-256 key. */
EVP_PKEY *
fx_make_key(void)
{
	return EVP_EC_gen("P-256");
}

/* A self-signed certificate for key; server: with the subjectAltName
 * IP:127.0.0.1 that a TLS client checks. */
X509 *
fx_make_cert(EVP_PKEY *key, const char *cn, int serial, int server)
{
	return fx_issue_cert(key, cn, serial, server, NULL, key);
}

/* A certificate for key issued by issuer with its key ikey (issuer NULL:
 * self-signed, ikey the key); server as for fx_make_cert. */
X509 *
fx_issue_cert(EVP_PKEY *key, const char *cn, int serial, int server,
    X509 *issuer, EVP_PKEY *ikey)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	X509_NAME *name;
	X509 *x;

	if ((x = X509_new()) == NULL)
		return NULL;
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, key);
	if (server) {
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
		    "IP:127.0.0.1");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (X509_sign(x, ikey, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Base64 of the certificate's DER, with a line break every 64 characters
 * (and a CRLF once) as some connectors send it. */
char *
fx_cert_b64(X509 *x, int wrap)
{
	unsigned char *der = NULL, *b64;
	char *out;
	size_t i, o = 0;
	int n, w;

	n = i2d_X509(x, &der);
	b64 = malloc(4 * ((size_t)n + 2) / 3 + 1);
	w = EVP_EncodeBlock(b64, der, n);
	OPENSSL_free(der);
	out = malloc((size_t)w * 2 + 4);
	for (i = 0; i < (size_t)w; i++) {
		if (wrap && i > 0 && i % 64 == 0) {
			if (i == 64)
				out[o++] = '\r';
			out[o++] = '\n';
		}
		out[o++] = (char)b64[i];
	}
	out[o] = '\0';
	free(b64);
	return out;
}

/* A monotonic clock, in seconds. */
double
fx_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A port on 127.0.0.1 where nobody listens: a connection is refused. */
int
fx_closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		close(fd);
		return -1;
	}
	port = ntohs(sa.sin_port);
	close(fd);		/* bound, never listening: refused */
	return port;
}

/* buf = scheme://127.0.0.1:port/path */
void
fx_set_url(char *buf, size_t n, const char *scheme, int port,
    const char *path)
{
	snprintf(buf, n, "%s://127.0.0.1:%d%s", scheme, port, path);
}

/* The connector's answer to an issue call that issued cert. */
char *
fx_issue_body(X509 *cert)
{
	json_object *o;
	char *b64, *s;

	b64 = fx_cert_b64(cert, 1);
	o = json_object_new_object();
	json_object_object_add(o, "certificateData",
	    json_object_new_string(b64));
	json_object_object_add(o, "uuid",
	    json_object_new_string(FX_ISSUED_UUID));
	json_object_object_add(o, "meta", json_object_new_array());
	s = strdup(json_object_to_json_string(o));
	json_object_put(o);
	free(b64);
	return s;
}

/* The scripted connector s started with answers sc, and t aimed at it (no
 * authentication, the test authority), its URL in url. */
void
fx_aim(struct conn_target *t, char *url, size_t urlsize, struct srv *s,
    struct canned *sc, size_t n)
{
	memset(t, 0, sizeof(*t));
	srv_start(s, sc, n, NULL);
	fx_set_url(url, urlsize, "http", s->port, "");
	t->url = url;
	t->auth = CONN_AUTH_NONE;
	t->authority_uuid = AUTHORITY;
}
