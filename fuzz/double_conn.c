/*
 * double_conn.c - a test double of src/conn.c and src/conn_api.c (the
 * connector client) for the fuzz targets: no HTTP, a CA in the process.
 *
 * It defines every external symbol of conn.o and conn_api.o that conn.h
 * declares (what conn_int.h declares only those two call), so that the
 * linker never takes them out of libcmpd.a; the settings checks of
 * conn_check.o are the real ones. When conn.c or conn_api.c gains a
 * function that the code under test calls, its object is pulled in after
 * all and the link fails with "multiple definition": add the function
 * here.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <json.h>
#include <openssl/crmf.h>
#include <openssl/err.h>

#include "conn.h"
#include "fuzz.h"
#include "jsoncheck.h"

static EVP_PKEY *ca_key;
static X509 *ca_cert;
static enum conn_status answer = CONN_OK;
static long serial = 0x4000;

void
fuzz_conn_init(void)
{
	if (ca_key != NULL)
		return;
	ca_key = fuzz_key("t/fixtures/root.key");
	ca_cert = fuzz_cert("t/fixtures/root.pem");
}

void
fuzz_conn_done(void)
{
	EVP_PKEY_free(ca_key);
	X509_free(ca_cert);
	ca_key = NULL;
	ca_cert = NULL;
}

void
fuzz_conn_status(int s)
{
	answer = (enum conn_status)s;
}

int
conn_init(const struct conf *c)
{
	return 0;
}

void
conn_done(void)
{
}

void
conn_request_begin(void)
{
}

void
conn_request_end(void)
{
}

void
conn_result_free(struct conn_result *res)
{
	if (res == NULL)
		return;
	X509_free(res->certificate);
	res->certificate = NULL;
	sk_X509_pop_free(res->chain, X509_free);
	res->chain = NULL;
	free(res->meta);
	res->meta = NULL;
}

const char *
conn_status_name(enum conn_status s)
{
	static const char *const names[] = { "ok", "unavailable", "rejected",
		"notFound", "failed", "insecure", "busy" };

	return (size_t)s < NITEMS(names) ? names[s] : "unknown";
}

int
conn_probe_all(char *const *urls, size_t n)
{
	(void)urls;
	return (int)n;
}

int
conn_parse_reply(enum conn_reply kind, long http_status, const char *body,
    size_t len, struct conn_result *res)
{
	memset(res, 0, sizeof(*res));
	res->status = CONN_FAILED;
	return -1;
}

/* What every call answers when the test asks for a failure. */
static int
conn_refuse(struct conn_result *res)
{
	res->status = answer;
	res->http_status = answer == CONN_UNAVAILABLE ? 0 :
	    answer == CONN_NOT_FOUND ? 404 : answer == CONN_REJECTED ? 422 : 500;
	snprintf(res->message, sizeof(res->message), "fuzz connector: %s",
	    conn_status_name(answer));
	return 0;
}

/* The request's subject and public key: CRMF (first CertReqMsg) or PKCS#10. */
static int
conn_request(const unsigned char *der, size_t len, const char *format,
    X509_NAME **subject, EVP_PKEY **key)
{
	const unsigned char *p = der;
	OSSL_CRMF_MSGS *msgs = NULL;
	const OSSL_CRMF_CERTTEMPLATE *t;
	const X509_NAME *n = NULL;
	X509_REQ *csr = NULL;
	int r = -1;

	*subject = NULL;
	*key = NULL;
	if (strcmp(format, "pkcs10") == 0) {
		if ((csr = d2i_X509_REQ(NULL, &p, (long)len)) == NULL ||
		    (*key = X509_REQ_get_pubkey(csr)) == NULL)
			goto out;
		n = X509_REQ_get_subject_name(csr);
	} else {
		if ((msgs = d2i_OSSL_CRMF_MSGS(NULL, &p, (long)len)) == NULL ||
		    sk_OSSL_CRMF_MSG_num(msgs) < 1 ||
		    (t = OSSL_CRMF_MSG_get0_tmpl(sk_OSSL_CRMF_MSG_value(msgs,
		    0))) == NULL ||
		    (*key = spki_template_key(t, NULL)) == NULL)
			goto out;
		n = OSSL_CRMF_CERTTEMPLATE_get0_subject(t);
	}
	*subject = n != NULL ? X509_NAME_dup(n) : X509_NAME_new();
	r = *subject != NULL ? 0 : -1;
 out:
	if (r != 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	sk_OSSL_CRMF_MSG_pop_free(msgs, OSSL_CRMF_MSG_free);
	X509_REQ_free(csr);
	ERR_clear_error();
	return r;
}

/* A certificate from the fixture CA for the request's key, as a CA would. */
static int
conn_enroll(const unsigned char *der, size_t len, const char *format,
    struct conn_result *res)
{
	X509_NAME *subject = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;

	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	if (der == NULL || len == 0 || format == NULL) {
		res->status = CONN_FAILED;
		snprintf(res->message, sizeof(res->message), "bad arguments");
		return -1;
	}
	if (answer != CONN_OK)
		return conn_refuse(res);
	fuzz_conn_init();
	if (conn_request(der, len, format, &subject, &key) != 0) {
		res->status = CONN_REJECTED;
		res->http_status = 422;
		snprintf(res->message, sizeof(res->message),
		    "fuzz connector: no public key in the request");
		return 0;
	}
	if ((x = X509_new()) == NULL ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca_cert)) ||
	    !X509_set_subject_name(x, subject) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL ||
	    !X509_set_pubkey(x, key) ||
	    !X509_sign(x, ca_key, EVP_sha256())) {
		/* e.g. a key type the CA cannot put in a certificate */
		X509_free(x);
		x = NULL;
		res->status = CONN_REJECTED;
		res->http_status = 422;
		snprintf(res->message, sizeof(res->message),
		    "fuzz connector: cannot issue");
	} else {
		res->status = CONN_OK;
		res->http_status = 200;
		res->certificate = x;
		snprintf(res->uuid, sizeof(res->uuid), "fuzz-%ld", serial);
	}
	X509_NAME_free(subject);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return 0;
}

int
conn_issue(const struct conn_target *t, const unsigned char *req_der,
    size_t req_len, const char *format, struct conn_result *res)
{
	return conn_enroll(req_der, req_len, format, res);
}

int
conn_renew(const struct conn_target *t, const unsigned char *req_der,
    size_t req_len, const char *format, X509 *old_cert,
    struct conn_result *res)
{
	if (old_cert == NULL) {
		if (res != NULL) {
			memset(res, 0, sizeof(*res));
			res->status = CONN_FAILED;
		}
		return -1;
	}
	return conn_enroll(req_der, req_len, format, res);
}

int
conn_revoke(const struct conn_target *t, X509 *cert, const char *reason,
    struct conn_result *res)
{
	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	if (cert == NULL || reason == NULL) {
		res->status = CONN_FAILED;
		return -1;
	}
	if (answer != CONN_OK)
		return conn_refuse(res);
	res->status = CONN_OK;
	res->http_status = 204;
	return 0;
}

int
conn_ca_certificates(const struct conn_target *t, struct conn_result *res)
{
	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	if (answer != CONN_OK)
		return conn_refuse(res);
	fuzz_conn_init();
	if ((res->chain = sk_X509_new_null()) == NULL ||
	    !X509_up_ref(ca_cert))
		goto err;
	if (!sk_X509_push(res->chain, ca_cert)) {
		X509_free(ca_cert);
		goto err;
	}
	res->status = CONN_OK;
	res->http_status = 200;
	return 0;
 err:
	conn_result_free(res);
	res->status = CONN_FAILED;
	return -1;
}


/* The double's CA has no lookup: reconciliation is not fuzzed here. */
int
conn_lookup(const struct conn_target *t, const char *request_id, int final,
    struct conn_result *res)
{
	memset(res, 0, sizeof(*res));
	res->status = CONN_NOT_FOUND;
	res->http_status = 404;
	return 0;
}

/* Nor a CRL: signers are checked against the inventory only. */
int
conn_crl(const struct conn_target *t, X509_CRL **crl, struct conn_result *res)
{
	*crl = NULL;
	memset(res, 0, sizeof(*res));
	res->status = CONN_NOT_FOUND;
	res->http_status = 404;
	return 0;
}

/* No root CA key update either: genm answers rootCaCert without one. */
int
conn_root_ca_update(const struct conn_target *t, struct conn_result *res)
{
	memset(res, 0, sizeof(*res));
	if (answer != CONN_OK)
		return conn_refuse(res);
	res->status = CONN_NOT_FOUND;
	res->http_status = 404;
	return 0;
}
