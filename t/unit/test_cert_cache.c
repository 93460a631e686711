/*
 * Unit test for cert_cache.c: the same DER gives the same decoded
 * certificate, each caller its own reference; other certificates,
 * garbage, trailing bytes and indefinite lengths are told apart; more
 * certificates than the cache holds still decode right; and extraCerts
 * of a PKIMessage decode through it and encode back byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cmp_asn1.h"
#include "cmpd.h"
#include "cert_cache.h"
#include "tap.h"

#define NCERTS	40

static EVP_PKEY *key;

/* a self-signed certificate with serial n, DER in *der */
static int
make_cert(long n, unsigned char **der)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	char cn[32];
	int len = -1;

	snprintf(cn, sizeof(cn), "cache test %ld", n);
	*der = NULL;
	if (x != NULL && name != NULL &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) &&
	    ASN1_INTEGER_set(X509_get_serialNumber(x), n) &&
	    X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600) &&
	    X509_set_pubkey(x, key) && X509_sign(x, key, EVP_sha256()) > 0)
		len = i2d_X509(x, der);
	X509_NAME_free(name);
	X509_free(x);
	return len;
}

static void
test_cache(void)
{
	unsigned char *der[NCERTS], *buf;
	int len[NCERTS], i, good;
	X509 *a, *b, *c;

	for (i = 0; i < NCERTS; i++)
		len[i] = make_cert(i + 1, &der[i]);
	a = cert_cache_d2i(der[0], (size_t)len[0]);
	b = cert_cache_d2i(der[0], (size_t)len[0]);
	ok(a != NULL && a == b, "the same DER: the same certificate");
	X509_free(a);
	ok(b != NULL && ASN1_INTEGER_get(X509_get0_serialNumber(b)) == 1,
	    "a reference outlives another's free");
	c = cert_cache_d2i(der[1], (size_t)len[1]);
	ok(c != NULL && c != b &&
	    ASN1_INTEGER_get(X509_get0_serialNumber(c)) == 2,
	    "another DER: another certificate");
	X509_free(b);
	X509_free(c);
	ok(cert_cache_d2i(der[0], (size_t)len[0] - 1) == NULL,
	    "truncated: none");
	buf = malloc((size_t)len[0] + 1);
	memcpy(buf, der[0], (size_t)len[0]);
	buf[len[0]] = 0;
	ok(cert_cache_d2i(buf, (size_t)len[0] + 1) == NULL,
	    "a trailing byte: none");
	free(buf);
	/* twice round more certificates than the cache holds */
	good = 0;
	for (i = 0; i < 2 * NCERTS; i++) {
		a = cert_cache_d2i(der[i % NCERTS], (size_t)len[i % NCERTS]);
		good += a != NULL &&
		    ASN1_INTEGER_get(X509_get0_serialNumber(a)) ==
		    i % NCERTS + 1;
		X509_free(a);
	}
	is_int(good, 2 * NCERTS, "%d certificates, each decoded right",
	    NCERTS);
	for (i = 0; i < NCERTS; i++)
		OPENSSL_free(der[i]);
}

/* t/fixtures/ir-sig.der, a signed ir with its certificate in extraCerts */
static unsigned char *
read_fixture(const char *name, long *len)
{
	char path[4096];
	const char *top = getenv("top_srcdir");
	unsigned char *buf = NULL;
	FILE *f;

	*len = 0;
	snprintf(path, sizeof(path), "%s/t/fixtures/%s",
	    top != NULL && *top != '\0' ? top : ".", name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if ((buf = malloc(65536)) != NULL)
		*len = (long)fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static void
test_msg(void)
{
	static const unsigned char indef[] = { 0x30, 0x80, 0x02, 0x01, 0x01,
	    0x00, 0x00 };
	CMPD_MSG *d1 = NULL, *d2 = NULL;
	unsigned char *der, *enc = NULL;
	const unsigned char *p;
	long n;
	int n2;

	der = read_fixture("ir-sig.der", &n);
	ok(der != NULL && n > 0, "t/fixtures/ir-sig.der read");
	p = der;
	d1 = n > 0 ? d2i_CMPD_MSG(NULL, &p, n) : NULL;
	p = der;
	d2 = n > 0 ? d2i_CMPD_MSG(NULL, &p, n) : NULL;
	ok(d1 != NULL && d2 != NULL && sk_X509_num(d1->extraCerts) >= 1 &&
	    sk_X509_num(d1->extraCerts) == sk_X509_num(d2->extraCerts) &&
	    sk_X509_value(d1->extraCerts, 0) ==
	    sk_X509_value(d2->extraCerts, 0),
	    "decoded twice: one certificate, two references");
	n2 = d1 != NULL ? i2d_CMPD_MSG(d1, &enc) : -1;
	ok(n2 == n && memcmp(der, enc, (size_t)n) == 0,
	    "encodes back byte for byte");
	CMPD_MSG_free(d1);
	ok(d2 != NULL && X509_get0_pubkey(sk_X509_value(d2->extraCerts, 0)) !=
	    NULL, "the other message's certificate stays whole");
	ok(cert_cache_d2i(indef, sizeof(indef)) == NULL,
	    "indefinite length: none");
	CMPD_MSG_free(d2);
	OPENSSL_free(enc);
	free(der);
}

/*
 * A nested message (the fixture's ir inside, the same certificate in both
 * extraCerts): its inner certificates are read without their keys until
 * asked for (cmp_nested.c, after the RA's signature), the outer ones with
 * theirs.
 */
static void
test_nested(void)
{
	CMPD_MSG *in = NULL, *outer = NULL, *d = NULL, *inner;
	unsigned char *der, *enc = NULL;
	const unsigned char *p;
	long n;
	int len = -1;

	der = read_fixture("ir-sig.der", &n);
	p = der;
	in = n > 0 ? d2i_CMPD_MSG(NULL, &p, n) : NULL;
	p = der;
	outer = n > 0 ? d2i_CMPD_MSG(NULL, &p, n) : NULL;
	if (in != NULL && outer != NULL) {
		CMPD_BODY_free(outer->body);
		if ((outer->body = CMPD_BODY_new()) != NULL &&
		    (outer->body->value.nested = sk_CMPD_MSG_new_null()) !=
		    NULL && sk_CMPD_MSG_push(outer->body->value.nested, in)) {
			outer->body->type = CMPD_BODY_NESTED;
			in = NULL;
			len = i2d_CMPD_MSG(outer, &enc);
		}
	}
	ok(len > 0, "a nested message made");
	ok(len > 0 && cmp_msg_decode(enc, (size_t)len, &d, NULL) ==
	    CMP_ASN1_OK, "... and decoded");
	inner = d != NULL ? sk_CMPD_MSG_value(d->body->value.nested, 0) : NULL;
	ok(d != NULL && X509_get0_pubkey(sk_X509_value(d->extraCerts, 0)) !=
	    NULL, "the outer certificate with its key (the RA's signature)");
	ok(inner != NULL && sk_X509_num(inner->extraCerts) >= 1 &&
	    X509_get0_pubkey(sk_X509_value(inner->extraCerts, 0)) == NULL,
	    "the inner one without: not decoded before the RA is known");
	ok(inner != NULL && cert_cache_rekey(inner->extraCerts, 16) == 0 &&
	    X509_get0_pubkey(sk_X509_value(inner->extraCerts, 0)) != NULL,
	    "read again with it when asked");
	CMPD_MSG_free(d);
	CMPD_MSG_free(outer);
	CMPD_MSG_free(in);
	OPENSSL_free(enc);
	free(der);
}

int
main(void)
{
	if (!ok((key = EVP_EC_gen("P-256")) != NULL, "a test key"))
		return done_testing();
	test_cache();
	test_msg();
	test_nested();
	cert_cache_flush();
	EVP_PKEY_free(key);
	return done_testing();
}
