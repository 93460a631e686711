/*
 * Certificates and CRLs in a connector's answers. The v2 API says only
 * "Base64 encoded Certificate content" (CertificateDataResponseDto);
 * connectors send one DER certificate, or what their CA hands out: the
 * EJBCA NG connector passes on EJBCA's PKCS7WITHCHAIN, base64 of a PKCS#7
 * SignedData holding the certificate and its chain (RFC 2315 9.1), and
 * others send PEM text (RFC 7468). Each is read here with libcrypto; of
 * several certificates the one that issued none of the others is the one
 * asked for.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmpd.h"
#include "conn.h"
#include "conn_int.h"
#include "jsoncheck.h"
#include "keyless.h"

/* More than a chain holds: refused, so that choosing stays cheap. */
#define CONN_CERTS_MAX	16

/*
 * Base64 as a connector sends it: whitespace and line breaks anywhere are
 * dropped; what remains must be whole quanta with '=' only as padding.
 * 0 with *out (malloc'd), 1 not base64, -1 out of memory.
 */
int
conn_b64_decode(const char *s, size_t len, unsigned char **out,
    size_t *outlen)
{
	unsigned char *clean = NULL, *der = NULL;
	size_t i, n = 0, pad = 0;
	int w, r = -1;

	*out = NULL;
	*outlen = 0;
	if (len >= INT_MAX)
		return 1;
	if ((clean = malloc(len + 1)) == NULL)
		goto out;
	for (i = 0; i < len; i++)
		if (strchr(" \t\r\n", s[i]) == NULL || s[i] == '\0')
			clean[n++] = (unsigned char)s[i];
	r = 1;
	if (n == 0 || n % 4 != 0)
		goto out;
	/* EVP_DecodeBlock lets '=' through inside the data: refuse it. */
	while (pad < 2 && clean[n - 1 - pad] == '=')
		pad++;
	if (memchr(clean, '=', n - pad) != NULL)
		goto out;
	r = -1;
	if ((der = malloc(n / 4 * 3)) == NULL)
		goto out;
	r = 1;
	if ((w = EVP_DecodeBlock(der, clean, (int)n)) < 0 ||
	    (size_t)w != n / 4 * 3)
		goto out;
	*out = der;
	*outlen = (size_t)w - pad;
	der = NULL;
	r = 0;
 out:
	free(clean);
	free(der);
	return r;
}

/* Moves the certificates of a PKCS#7 SignedData into certs: 0, or -1. */
static int
conn_p7_certs(const unsigned char *der, size_t len, STACK_OF(X509) *certs)
{
	const unsigned char *p = der;
	STACK_OF(X509) *in;
	PKCS7 *p7;
	int r = -1;

	if (len > LONG_MAX ||
	    (p7 = d2i_PKCS7(NULL, &p, (long)len)) == NULL)
		return -1;
	if (p != der + len || !PKCS7_type_is_signed(p7) ||
	    p7->d.sign == NULL || (in = p7->d.sign->cert) == NULL)
		goto out;
	while (sk_X509_num(in) > 0 && sk_X509_num(certs) <= CONN_CERTS_MAX) {
		if (!sk_X509_push(certs, sk_X509_value(in, 0)))
			goto out;
		(void)sk_X509_shift(in);
	}
	r = 0;
 out:
	PKCS7_free(p7);
	return r;
}

/* One DER certificate, or a PKCS#7 holding some, into certs: 0, or -1. */
static int
conn_der_certs(const unsigned char *der, size_t len, STACK_OF(X509) *certs)
{
	const unsigned char *p = der;
	X509 *x;

	if (len <= LONG_MAX && (x = d2i_X509(NULL, &p, (long)len)) != NULL) {
		if (p == der + len && sk_X509_push(certs, x))
			return 0;
		X509_free(x);
		return -1;
	}
	return conn_p7_certs(der, len, certs);
}

/*
 * PEM text: each CERTIFICATE block, and the certificates of each PKCS7
 * block, into certs. 0, 1 not PEM of those, -1 out of memory.
 */
static int
conn_pem_certs(const char *s, size_t len, STACK_OF(X509) *certs)
{
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long n;
	BIO *b;
	int blocks = 0, r = 1;

	if (len > INT_MAX || (b = BIO_new_mem_buf(s, (int)len)) == NULL)
		return len > INT_MAX ? 1 : -1;
	while (PEM_read_bio(b, &name, &header, &data, &n) == 1) {
		blocks++;
		if ((strcmp(name, PEM_STRING_X509) != 0 &&
		    strcmp(name, PEM_STRING_PKCS7) != 0) ||
		    conn_der_certs(data, (size_t)n, certs) != 0)
			goto out;
		/* enough read: conn_cert_pick() refuses so many */
		if (sk_X509_num(certs) > CONN_CERTS_MAX) {
			r = 0;
			goto out;
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		name = header = NULL;
		data = NULL;
	}
	/* the end of the text, not a block that did not read */
	if (blocks > 0 && ERR_GET_REASON(ERR_peek_last_error()) ==
	    PEM_R_NO_START_LINE)
		r = 0;
 out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(b);
	return r;
}

/*
 * Of certs, the one that issued none of the others; NULL if not one. A
 * self-issued certificate (a root, sent with or without the CA between)
 * is no issued one, and a certificate sent twice counts once.
 */
static X509 *
conn_cert_leaf(STACK_OF(X509) *certs)
{
	X509 *leaf = NULL, *c, *o;
	int i, j, issuer;

	for (i = 0; i < sk_X509_num(certs); i++) {
		c = sk_X509_value(certs, i);
		if (X509_check_issued(c, c) == X509_V_OK)
			continue;
		for (issuer = 0, j = 0; j < sk_X509_num(certs) && !issuer;
		    j++) {
			o = sk_X509_value(certs, j);
			issuer = j != i && X509_cmp(c, o) != 0 &&
			    X509_check_issued(c, o) == X509_V_OK;
		}
		if (issuer || (leaf != NULL && X509_cmp(leaf, c) == 0))
			continue;
		if (leaf != NULL)
			return NULL;
		leaf = c;
	}
	return leaf;
}

/* DER of one certificate as an X509, an issued one without its key. */
static X509 *
conn_cert_d2i(const unsigned char *der, size_t len, int issued)
{
	const unsigned char *p = der;
	X509 *x;

	if (len > LONG_MAX)
		return NULL;
	x = issued ? keyless_x509_d2i(&p, (long)len) :
	    d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/*
 * The certificate asked for, of several (PKCS#7, PEM): into *out, or what
 * is wrong into res. PARSE_OK, PARSE_BAD or PARSE_ERR.
 */
static int
conn_cert_pick(STACK_OF(X509) *certs, const char *what, int issued,
    X509 **out, struct conn_result *res)
{
	unsigned char *der = NULL;
	X509 *x;
	int n;

	if (sk_X509_num(certs) > CONN_CERTS_MAX) {
		conn_msg(res, "%s: certificateData holds more than %d "
		    "certificates", what, CONN_CERTS_MAX);
		return PARSE_BAD;
	}
	if ((x = conn_cert_leaf(certs)) == NULL) {
		conn_msg(res, "%s: certificateData holds %d certificates, "
		    "none or more than one of them issued none of the others",
		    what, sk_X509_num(certs));
		return PARSE_BAD;
	}
	/* decoded again as one sent alone is (its encoding is kept) */
	if ((n = i2d_X509(x, &der)) <= 0)
		return PARSE_ERR;
	*out = conn_cert_d2i(der, (size_t)n, issued);
	OPENSSL_free(der);
	return *out != NULL ? PARSE_OK : PARSE_ERR;
}

/*
 * obj["certificateData"] as an X509; what is wrong goes into res.
 * PARSE_OK, PARSE_BAD or PARSE_ERR. An issued certificate is stored and
 * delivered, never verified with its own key: one sent alone in DER is
 * decoded without its key (keyless_x509_d2i()), as is the one taken of
 * several; a CA certificate's is decoded.
 */
int
conn_cert_data(json_object *obj, const char *what, int issued, X509 **out,
    struct conn_result *res)
{
	STACK_OF(X509) *certs = NULL;
	unsigned char *der = NULL;
	const char *s;
	json_object *v;
	size_t len, slen;
	int rc, r = PARSE_ERR;

	*out = NULL;
	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "certificateData", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		conn_msg(res, "%s: no certificateData", what);
		return PARSE_BAD;
	}
	s = json_object_get_string(v);
	slen = (size_t)json_object_get_string_len(v);
	if (memmem(s, slen, "-----BEGIN ", 11) != NULL) {
		if ((certs = sk_X509_new_null()) == NULL ||
		    (rc = conn_pem_certs(s, slen, certs)) < 0)
			goto out;
		r = PARSE_BAD;
		if (rc > 0) {
			conn_msg(res, "%s: certificateData is PEM but not of "
			    "certificates", what);
			goto out;
		}
		r = conn_cert_pick(certs, what, issued, out, res);
		goto out;
	}
	if ((rc = conn_b64_decode(s, slen, &der, &len)) < 0)
		goto out;
	r = PARSE_BAD;
	if (rc > 0) {
		conn_msg(res, "%s: certificateData is not base64", what);
		goto out;
	}
	/* the v2 API's form first: one DER certificate */
	if ((*out = conn_cert_d2i(der, len, issued)) != NULL) {
		r = PARSE_OK;
		goto out;
	}
	r = PARSE_ERR;
	if ((certs = sk_X509_new_null()) == NULL)
		goto out;
	r = PARSE_BAD;
	if (conn_p7_certs(der, len, certs) != 0) {
		conn_msg(res, "%s: certificateData is neither a DER "
		    "certificate nor a PKCS#7 of certificates", what);
		goto out;
	}
	r = conn_cert_pick(certs, what, issued, out, res);
 out:
	ERR_clear_error();
	sk_X509_pop_free(certs, X509_free);
	free(der);
	return r;
}
