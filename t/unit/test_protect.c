/*
 * cmp_protect.c and secret.c: the MAC of openssl cmp's own requests, the
 * parameter limits, our answers' MAC, and secrets sealed at rest.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/objects.h>

#include "cmpd.h"
#include "fixture.h"
#include "tap.h"

#define S(x)	(const unsigned char *)(x), strlen(x)

/* Who sent a message, for the follow-ups of its transaction. */
static void
requester_tests(void)
{
	const char *names[] = { "ir-sig.der", "certConf-sig.der",
	    "ir-sig-rsa.der", "ir-pbm.der", "certConf-pbm.der" };
	struct cmp_requester who[5];
	CMPD_MSG *m;
	size_t i;

	for (i = 0; i < 5; i++) {
		m = fixture_msg(names[i]);
		ok(cmp_protect_requester(m, &who[i]) == 0, "requester of %s",
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
	who[4].kid[0] ^= 1;
	ok(!cmp_protect_requester_eq(&who[3], &who[4]),
	    "another senderKID: another requester");
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
