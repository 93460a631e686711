/*
 * cmp_protect.c and secret.c: the MAC of openssl cmp's own requests, PBMAC1, the
 * parameter limits, our answers' MAC, and secrets sealed at rest.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/objects.h>

#include "cmpd.h"
#include "fixture.h"
#include "mac_memo.h"
#include "tap.h"

#define S(x)	(const unsigned char *)(x), strlen(x)

/* A copy of m whose protectionAlg asks for PBMAC1 (RFC 9481 6.1.3). */
static CMPD_MSG *
pbmac1_req(const CMPD_MSG *m, int iter, int prf, int mac)
{
	CMPD_MSG *r = CMPD_MSG_dup(m);
	CMPD_PBMAC1PARAM *pp = CMPD_PBMAC1PARAM_new();
	ASN1_STRING *params = ASN1_STRING_new();
	unsigned char *der = NULL;
	int n;

	X509_ALGOR_free(pp->keyDerivationFunc);
	pp->keyDerivationFunc = PKCS5_pbkdf2_set(iter, NULL, 16, prf, 32);
	X509_ALGOR_set0(pp->messageAuthScheme, OBJ_nid2obj(mac), V_ASN1_NULL,
	    NULL);
	n = i2d_CMPD_PBMAC1PARAM(pp, &der);
	ASN1_STRING_set(params, der, n);
	X509_ALGOR_set0(r->header->protectionAlg, OBJ_nid2obj(NID_pbmac1),
	    V_ASN1_SEQUENCE, params);
	OPENSSL_free(der);
	CMPD_PBMAC1PARAM_free(pp);
	return r;
}

/* A copy of m whose PBM parameters name owf, mac and iter (its salt
 * stays: the MAC no longer verifies, which the answers' tests do not
 * need). */
static CMPD_MSG *
pbm_req(const CMPD_MSG *m, int owf, int mac, long iter)
{
	CMPD_MSG *r = CMPD_MSG_dup(m);
	const ASN1_STRING *seq = r->header->protectionAlg->parameter->
	    value.sequence;
	const unsigned char *p = ASN1_STRING_get0_data(seq);
	ASN1_STRING *params = ASN1_STRING_new();
	unsigned char *der = NULL;
	CMPD_PBMPARAMETER *f;
	int n;

	f = d2i_CMPD_PBMPARAMETER(NULL, &p, ASN1_STRING_length(seq));
	X509_ALGOR_set0(f->owf, OBJ_nid2obj(owf), V_ASN1_UNDEF, NULL);
	X509_ALGOR_set0(f->mac, OBJ_nid2obj(mac), V_ASN1_UNDEF, NULL);
	ASN1_INTEGER_set(f->iterationCount, iter);
	n = i2d_CMPD_PBMPARAMETER(f, &der);
	ASN1_STRING_set(params, der, n);
	X509_ALGOR_set0(r->header->protectionAlg,
	    OBJ_nid2obj(NID_id_PasswordBasedMAC), V_ASN1_SEQUENCE, params);
	OPENSSL_free(der);
	CMPD_PBMPARAMETER_free(f);
	return r;
}

/*
 * PBMAC1 both ways, and PBM with SHA-1 as owf only with legacy set.
 * Interoperation with an independent PBMAC1 implementation is
 * t/0028-pbmac1.t's (t/cmppbmac1).
 */
static void
pbmac1_tests(const CMPD_MSG *ir)
{
	CMPD_MSG *req, *rsp;
	char arg[128];

	req = pbmac1_req(ir, 2000, NID_hmacWithSHA256, NID_hmacWithSHA256);
	rsp = CMPD_MSG_dup(ir);
	ok(cmp_protect_pbm(rsp, req, S("test-secret"), 10000, 0) == 0,
	    "PBMAC1 request: answer protected");
	is_int(OBJ_obj2nid(rsp->header->protectionAlg->algorithm), NID_pbmac1,
	    "with PBMAC1");
	is_int(cmp_protect_pbm_verify(rsp, S("test-secret"), "1234", 10000, 0,
	    arg, sizeof(arg)), CMPF_OK, "PBMAC1 verifies");
	is_int(cmp_protect_pbm_verify(rsp, S("wrong"), "1234", 10000, 0,
	    arg, sizeof(arg)), CMPF_MAC_MISMATCH, "PBMAC1, wrong secret");
	is_int(cmp_protect_pbm_verify(rsp, S("test-secret"), "1234", 1999, 0,
	    arg, sizeof(arg)), CMPF_PBM_PARAMS, "PBMAC1 over the cap");
	ok(strstr(arg, "iterationCount 2000 not in 1000..1999") != NULL,
	    "text: %s", arg);
	ASN1_INTEGER_set(rsp->header->pvno, 3);
	is_int(cmp_protect_pbm_verify(rsp, S("test-secret"), "1234", 10000, 0,
	    arg, sizeof(arg)), CMPF_MAC_MISMATCH, "PBMAC1 over a changed header");
	CMPD_MSG_free(rsp);
	CMPD_MSG_free(req);

	req = pbmac1_req(ir, 2000, NID_hmacWithSHA1, NID_hmacWithSHA256);
	is_int(cmp_protect_pbm_verify(req, S("test-secret"), "1234", 10000, 1,
	    arg, sizeof(arg)), CMPF_PBM_PARAMS, "PBMAC1 prf SHA-1: refused");
	CMPD_MSG_free(req);
	req = pbmac1_req(ir, 2000, NID_hmacWithSHA256, NID_hmac_sha1);
	is_int(cmp_protect_pbm_verify(req, S("test-secret"), "1234", 10000, 1,
	    arg, sizeof(arg)), CMPF_PBM_PARAMS, "PBMAC1 mac HMAC-SHA1: refused");
	CMPD_MSG_free(req);

	/* PBM, SHA-1 as owf: made with legacy allowed */
	{
		CMPD_MSG *tmpl = pbm_req(ir, NID_sha1, NID_hmac_sha1, 500);

		req = CMPD_MSG_dup(tmpl);
		ok(cmp_protect_pbm(req, tmpl, S("test-secret"), 10000, 0) != 0,
		    "SHA-1 owf: no answer without legacy");
		ok(cmp_protect_pbm(req, tmpl, S("test-secret"), 10000, 1) == 0,
		    "SHA-1 owf: protected with legacy");
		CMPD_MSG_free(tmpl);
	}
	is_int(cmp_protect_pbm_verify(req, S("test-secret"), "1234", 10000, 0,
	    arg, sizeof(arg)), CMPF_PBM_LEGACY, "SHA-1 owf refused by default");
	is_int(cmp_protect_pbm_verify(req, S("test-secret"), "1234", 10000, 1,
	    arg, sizeof(arg)), CMPF_OK, "and accepted with legacyPbm");
	CMPD_MSG_free(req);
}

/* The salt of a MAC-protected message (PBM's, or PBMAC1's PBKDF2's). */
static int
salt_of(const CMPD_MSG *m, unsigned char *salt, size_t max)
{
	const ASN1_STRING *seq = m->header->protectionAlg->parameter->
	    value.sequence;
	const unsigned char *p = ASN1_STRING_get0_data(seq);
	CMPD_PBMAC1PARAM *pp;
	CMPD_PBMPARAMETER *f;
	PBKDF2PARAM *kdf;
	int n = -1;

	if (OBJ_obj2nid(m->header->protectionAlg->algorithm) == NID_pbmac1) {
		pp = d2i_CMPD_PBMAC1PARAM(NULL, &p, ASN1_STRING_length(seq));
		kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM),
		    pp->keyDerivationFunc->parameter);
		n = ASN1_STRING_length(kdf->salt->value.octet_string);
		if ((size_t)n <= max)
			memcpy(salt, ASN1_STRING_get0_data(
			    kdf->salt->value.octet_string), (size_t)n);
		PBKDF2PARAM_free(kdf);
		CMPD_PBMAC1PARAM_free(pp);
	} else {
		f = d2i_CMPD_PBMPARAMETER(NULL, &p, ASN1_STRING_length(seq));
		n = ASN1_STRING_length(f->salt);
		if ((size_t)n <= max)
			memcpy(salt, ASN1_STRING_get0_data(f->salt), (size_t)n);
		CMPD_PBMPARAMETER_free(f);
	}
	return (size_t)n <= max ? n : -1;
}

/* An answer to req under secret; its salt in salt[16]. */
static CMPD_MSG *
answer(const CMPD_MSG *ir, const CMPD_MSG *req, const char *secret,
    int legacy, unsigned char salt[16])
{
	CMPD_MSG *rsp = CMPD_MSG_dup(ir);

	if (cmp_protect_pbm(rsp, req, S(secret), 10000, legacy) != 0 ||
	    salt_of(rsp, salt, 16) != 16) {
		CMPD_MSG_free(rsp);
		return NULL;
	}
	return rsp;
}

/*
 * The answers' MAC keys, kept per process with their salt (mac_memo.c):
 * cmpd derives PBM's key itself, so every owf and mac is checked against
 * libcrypto's OSSL_CRMF_pbm_new (cmp_protect_pbm_verify); an answer under
 * the same secret and parameters reuses the salt and key, under another
 * secret or other parameters it does not.
 */
static void
answer_key_tests(const CMPD_MSG *ir)
{
	static const int owf[] = { NID_sha256, NID_sha384, NID_sha512,
		NID_sha1 };
	static const int mac[] = { NID_hmac_sha1, NID_hmacWithSHA256,
		NID_hmacWithSHA384, NID_hmacWithSHA512 };
	unsigned char s0[16], s1[16], s2[16], s3[16];
	CMPD_MSG *req, *r1, *r2, *r3;
	char arg[128];
	size_t i, j;
	int legacy;

	for (i = 0; i < NITEMS(owf); i++)
		for (j = 0; j < NITEMS(mac); j++) {
			legacy = owf[i] == NID_sha1;
			req = pbm_req(ir, owf[i], mac[j], 1000 + (long)j);
			r1 = answer(ir, req, "test-secret", legacy, s1);
			r2 = answer(ir, req, "test-secret", legacy, s2);
			ok(r1 != NULL && r2 != NULL,
			    "PBM owf %s, mac %s: answered twice",
			    OBJ_nid2sn(owf[i]), OBJ_nid2sn(mac[j]));
			is_int(r1 == NULL ? -1 : (int)cmp_protect_pbm_verify(r1,
			    S("test-secret"), "1234", 10000, legacy, arg,
			    sizeof(arg)), CMPF_OK,
			    "first answer verifies with OSSL_CRMF_pbm_new");
			is_int(r2 == NULL ? -1 : (int)cmp_protect_pbm_verify(r2,
			    S("test-secret"), "1234", 10000, legacy, arg,
			    sizeof(arg)), CMPF_OK, "second answer too");
			ok(memcmp(s1, s2, 16) == 0, "with the same salt");
			CMPD_MSG_free(r1);
			CMPD_MSG_free(r2);
			CMPD_MSG_free(req);
		}

	req = pbm_req(ir, NID_sha256, NID_hmac_sha1, 500);
	r1 = answer(ir, req, "test-secret", 0, s1);
	r2 = answer(ir, req, "other-secret", 0, s2);
	ok(r1 != NULL && r2 != NULL && memcmp(s1, s2, 16) != 0,
	    "another secret: another salt");
	is_int(r2 == NULL ? -1 : (int)cmp_protect_pbm_verify(r2, S("other-secret"),
	    "1234", 10000, 0, arg, sizeof(arg)), CMPF_OK,
	    "its answer verifies with its secret");
	is_int(r2 == NULL ? -1 : (int)cmp_protect_pbm_verify(r2, S("test-secret"),
	    "1234", 10000, 0, arg, sizeof(arg)), CMPF_MAC_MISMATCH,
	    "and not with the first one's");
	CMPD_MSG_free(req);
	req = pbm_req(ir, NID_sha256, NID_hmac_sha1, 501);
	r3 = answer(ir, req, "test-secret", 0, s3);
	ok(r3 != NULL && memcmp(s1, s3, 16) != 0,
	    "another iteration count: another salt");
	is_int(r3 == NULL ? -1 : (int)cmp_protect_pbm_verify(r3, S("test-secret"),
	    "1234", 10000, 0, arg, sizeof(arg)), CMPF_OK, "and verifies");
	CMPD_MSG_free(r1);
	CMPD_MSG_free(r2);
	CMPD_MSG_free(r3);
	CMPD_MSG_free(req);
	/* The secret's first salt was kept meanwhile (8 slots). */
	req = pbm_req(ir, NID_sha256, NID_hmac_sha1, 500);
	r1 = answer(ir, req, "test-secret", 0, s2);
	ok(r1 != NULL && memcmp(s1, s2, 16) == 0, "the first salt again");
	memcpy(s0, s1, 16);
	CMPD_MSG_free(r1);
	CMPD_MSG_free(req);
	/* PBMAC1 keeps a salt and key of its own. */
	req = pbmac1_req(ir, 2000, NID_hmacWithSHA256, NID_hmacWithSHA256);
	r1 = answer(ir, req, "test-secret", 0, s1);
	r2 = answer(ir, req, "test-secret", 0, s2);
	ok(r1 != NULL && r2 != NULL && memcmp(s1, s2, 16) == 0,
	    "PBMAC1: the same salt for the same secret and parameters");
	is_int(r1 == NULL ? -1 : (int)cmp_protect_pbm_verify(r1,
	    S("test-secret"), "1234", 10000, 0, arg, sizeof(arg)), CMPF_OK,
	    "the first PBMAC1 answer verifies");
	is_int(r2 == NULL ? -1 : (int)cmp_protect_pbm_verify(r2, S("test-secret"),
	    "1234", 10000, 0, arg, sizeof(arg)), CMPF_OK,
	    "the second PBMAC1 answer verifies");
	CMPD_MSG_free(r1);
	CMPD_MSG_free(r2);
	CMPD_MSG_free(req);
	mac_memo_flush();
	req = pbm_req(ir, NID_sha256, NID_hmac_sha1, 500);
	r1 = answer(ir, req, "test-secret", 0, s2);
	ok(r1 != NULL && memcmp(s0, s2, 16) != 0, "flushed: a new salt");
	CMPD_MSG_free(r1);
	CMPD_MSG_free(req);
}

/* Who sent a message, for the follow-ups of its transaction. */
static void
requester_tests(void)
{
	const char *names[] = { "ir-sig.der", "certConf-sig.der",
	    "ir-sig-rsa.der", "ir-pbm.der", "certConf-pbm.der" };
	struct cmp_requester who[5];
	struct profile *p = calloc(1, sizeof(*p));
	CMPD_MSG *m;
	size_t i;

	for (i = 0; p != NULL && i < 5; i++) {
		m = fixture_msg(names[i]);
		ok(cmp_protect_requester(m, p, &who[i]) == 0, "requester of %s",
		    names[i]);
		CMPD_MSG_free(m);
	}
	ok(who[0].method == PROT_SIGNATURE && who[3].method ==
	    PROT_SHARED_SECRET, "methods");
	ok(cmp_protect_requester_eq(&who[0], &who[1]),
	    "ir and certConf signed with one certificate: the same requester");
	ok(!cmp_protect_requester_eq(&who[0], &who[2]),
	    "another certificate: another requester");
	ok(cmp_protect_requester_eq(&who[3], &who[4]),
	    "MAC with one senderKID: the same requester");
	ok(!cmp_protect_requester_eq(&who[0], &who[3]),
	    "a MAC is not a signature");
	ok(who[3].device_known && who[3].device[0] == '\0',
	    "MAC: the profile's secret recorded");
	snprintf(who[4].device, sizeof(who[4].device),
	    "00000000-0000-4000-8000-00000000d001");
	ok(!cmp_protect_requester_eq(&who[3], &who[4]),
	    "one senderKID, a device entry's secret and the profile's: "
	    "another requester");
	snprintf(who[3].device, sizeof(who[3].device),
	    "00000000-0000-4000-8000-00000000d002");
	ok(!cmp_protect_requester_eq(&who[3], &who[4]),
	    "one senderKID, two device entries: another requester");
	who[3].device_known = 0;
	ok(cmp_protect_requester_eq(&who[3], &who[4]),
	    "no secret recorded (a row from before it was): the senderKID");
	who[4].kid[0] ^= 1;
	ok(!cmp_protect_requester_eq(&who[3], &who[4]),
	    "another senderKID: another requester");
	free(p);
}

int
main(void)
{
	CMPD_MSG *ir = fixture_msg("ir-pbm.der"), *m, *rsp;
	char arg[128], keyfile[] = "/tmp/cmpd-test-key-XXXXXX";
	unsigned char *blob = NULL, pt[64];
	size_t bloblen, ptlen;
	struct conf c;
	FILE *f;
	int fd;

	/* the fixtures' secret and reference (t/fixtures/gen.sh) */
	is_int(cmp_protect_pbm_verify(ir, S("test-secret"), "1234", 100000, 0,
	    arg, sizeof(arg)), CMPF_OK, "openssl cmp's PBM verifies");
	is_int(cmp_protect_pbm_verify(ir, S("test-secret"), NULL, 100000, 0,
	    arg, sizeof(arg)), CMPF_OK, "no reference configured: any kid");
	is_int(cmp_protect_pbm_verify(ir, S("wrong"), "1234", 100000, 0, arg,
	    sizeof(arg)), CMPF_MAC_MISMATCH, "wrong secret");
	is_int(cmp_protect_pbm_verify(ir, S("test-secret"), "4321", 100000, 0,
	    arg, sizeof(arg)), CMPF_MAC_MISMATCH, "wrong senderKID");
	is_int(cmp_protect_pbm_verify(ir, S("test-secret"), "1234", 100, 0, arg,
	    sizeof(arg)), CMPF_PBM_PARAMS, "iterations over the cap");
	ok(strstr(arg, "iterationCount") != NULL, "text names iterationCount");

	m = CMPD_MSG_dup(ir);
	ASN1_OCTET_STRING_free(m->header->senderKID);
	m->header->senderKID = NULL;
	is_int(cmp_protect_pbm_verify(m, S("test-secret"), NULL, 100000, 0, arg,
	    sizeof(arg)), CMPF_SENDER_KID_MISSING, "senderKID required");
	CMPD_MSG_free(m);

	m = CMPD_MSG_dup(ir);
	ASN1_INTEGER_set(m->header->pvno, 3);
	is_int(cmp_protect_pbm_verify(m, S("test-secret"), "1234", 100000, 0,
	    arg, sizeof(arg)), CMPF_MAC_MISMATCH, "a changed header fails");
	CMPD_MSG_free(m);

	m = fixture_msg("ir-sig.der");
	is_int(cmp_protect_pbm_verify(m, S("test-secret"), NULL, 100000, 0, arg,
	    sizeof(arg)), CMPF_PROTECTION_ALG_UNKNOWN, "a signature is no PBM");
	CMPD_MSG_free(m);

	/* our answer: protected, and verifiable by the same code */
	{
		X509_NAME *srv = cmp_msg_parse_name("CN=cmpd");

		rsp = cmp_msg_error_new(ir->header, srv,
		    cmp_error_def(CMPF_TID_SHORT), "x");
		X509_NAME_free(srv);
	}
	ok(rsp != NULL && cmp_protect_pbm(rsp, ir, S("test-secret"),
	    100000, 0) == 0, "answer protected");
	ok(rsp->header->senderKID != NULL &&
	    ASN1_OCTET_STRING_cmp(rsp->header->senderKID,
	    ir->header->senderKID) == 0, "senderKID echoed");
	is_int(cmp_protect_pbm_verify(rsp, S("test-secret"), "1234", 100000, 0,
	    arg, sizeof(arg)), CMPF_OK, "answer's MAC verifies");
	is_int(cmp_protect_pbm_verify(rsp, S("other"), "1234", 100000, 0,
	    arg, sizeof(arg)), CMPF_MAC_MISMATCH, "not with another secret");
	CMPD_MSG_free(rsp);
	pbmac1_tests(ir);
	answer_key_tests(ir);

	/* secrets at rest */
	conf_init(&c);
	ok(secret_init(&c) == 0 && !secret_available(), "no key: no secrets");
	ok(secret_seal(S("x"), "aad", &blob, &bloblen) != 0, "cannot seal");
	fd = mkstemp(keyfile);
	f = fdopen(fd, "w");
	fputs("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n", f);
	fclose(f);
	c.secret_key_file = keyfile;
	ok(secret_init(&c) == 0 && secret_available(), "key loaded");
	ok(secret_seal(S("demo-secret"), "uuid-1", &blob, &bloblen) == 0 &&
	    bloblen == 1 + 12 + 11 + 16, "sealed");
	ok(secret_open(blob, bloblen, "uuid-1", pt, sizeof(pt), &ptlen) == 0 &&
	    ptlen == 11 && memcmp(pt, "demo-secret", 11) == 0, "opened");
	ok(secret_open(blob, bloblen, "uuid-2", pt, sizeof(pt), &ptlen) != 0,
	    "not under another row's uuid");
	blob[20] ^= 1;
	ok(secret_open(blob, bloblen, "uuid-1", pt, sizeof(pt), &ptlen) != 0,
	    "not when tampered with");
	OPENSSL_free(blob);
	c.secret_key_file = NULL;
	unlink(keyfile);
	CMPD_MSG_free(ir);
	requester_tests();
	return done_testing();
}
