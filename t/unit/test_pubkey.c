/*
 * Unit test for cmp_pubkey.c and cmp_tmpl_keyspec(): the public key a
 * certificate is asked for. Keys below the level are CMPF_KEY_WEAK, at
 * levels 2, 3 and 0; keys other than the profile's keySpec CMPF_KEY_SPEC
 * (type, curve, RSA length); a keySpec the API would not take refuses
 * every key.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "cmpd.h"
#include "tap.h"

static EVP_PKEY *
gen(const char *alg, const char *curve, unsigned int bits)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *k = NULL;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_keygen_init(ctx) > 0 &&
	    (curve == NULL ||
	    EVP_PKEY_CTX_set_group_name(ctx, curve) > 0) &&
	    (bits == 0 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) > 0))
		(void)EVP_PKEY_keygen(ctx, &k);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static enum cmp_fail
check(EVP_PKEY *k, const struct profile *p, char *arg, size_t n)
{
	return k != NULL ? cmp_pubkey_check(k, p, arg, n) : CMPF__COUNT;
}

static void
spec(struct profile *p, const char *s)
{
	snprintf(p->key_spec, sizeof(p->key_spec), "%s", s);
	if (cmp_tmpl_keyspec(s, &p->key_type, &p->key_param) != 0)
		p->key_type = -1;
}

int
main(void)
{
	EVP_PKEY *rsa1024, *rsa2048, *p256, *p224, *p192, *p384, *ed;
	struct profile p;
	char arg[160];
	int type, param;

	memset(&p, 0, sizeof(p));
	rsa1024 = gen("RSA", NULL, 1024);
	rsa2048 = gen("RSA", NULL, 2048);
	p256 = gen("EC", "prime256v1", 0);
	p224 = gen("EC", "secp224r1", 0);
	p192 = gen("EC", "prime192v1", 0);
	p384 = gen("EC", "secp384r1", 0);
	ed = gen("ED25519", NULL, 0);
	if (rsa1024 == NULL || rsa2048 == NULL || p256 == NULL ||
	    p224 == NULL || p192 == NULL || p384 == NULL || ed == NULL)
	{
		printf("Bail out! key generation failed\n");
		return 1;
	}

	/* the default level, 2: 112 bits */
	is_int(check(rsa2048, &p, arg, sizeof(arg)), CMPF_OK, "RSA 2048");
	is_int(check(p256, &p, arg, sizeof(arg)), CMPF_OK, "EC P-256");
	is_int(check(p224, &p, arg, sizeof(arg)), CMPF_OK, "EC P-224");
	is_int(check(ed, &p, arg, sizeof(arg)), CMPF_OK, "Ed25519");
	is_int(check(rsa1024, &p, arg, sizeof(arg)), CMPF_KEY_WEAK,
	    "RSA 1024: weak");
	is_str(arg, "RSA of 1024 bits has 80 bits of security, less than 112",
	    "... and why");
	is_int(check(p192, &p, arg, sizeof(arg)), CMPF_KEY_WEAK,
	    "EC P-192: weak");
	is_str(arg, "EC of 192 bits has 80 bits of security, less than 112",
	    "... and why");
	cmp_pubkey_level(3);
	is_int(check(p224, &p, arg, sizeof(arg)), CMPF_KEY_WEAK,
	    "level 3: EC P-224 weak");
	is_int(check(rsa2048, &p, arg, sizeof(arg)), CMPF_KEY_WEAK,
	    "level 3: RSA 2048 weak");
	is_int(check(p256, &p, arg, sizeof(arg)), CMPF_OK, "level 3: P-256");
	cmp_pubkey_level(0);
	is_int(check(rsa1024, &p, arg, sizeof(arg)), CMPF_OK,
	    "level 0: RSA 1024");
	cmp_pubkey_level(9);	/* out of range: kept */
	is_int(check(rsa1024, &p, arg, sizeof(arg)), CMPF_OK,
	    "a level out of range changes nothing");
	cmp_pubkey_level(2);

	/* keySpec */
	is_int(cmp_tmpl_keyspec("EC:secp384r1", &type, &param), 0,
	    "keySpec EC:secp384r1 parses");
	ok(type == EVP_PKEY_EC && param == NID_secp384r1, "... EC, P-384");
	is_int(cmp_tmpl_keyspec("EC:P-384", &type, &param), 0,
	    "keySpec EC:P-384 (the NIST name) parses");
	ok(param == NID_secp384r1, "... the same curve");
	is_int(cmp_tmpl_keyspec("RSA:3072", &type, &param), 0,
	    "keySpec RSA:3072 parses");
	ok(type == EVP_PKEY_RSA && param == 3072, "... RSA, 3072");
	is_int(cmp_tmpl_keyspec("EC:nosuch", &type, &param),
	    CMP_TMPL_KS_CURVE, "an unknown curve");
	is_int(cmp_tmpl_keyspec("RSA:1024", &type, &param), CMP_TMPL_KS_RSA,
	    "an RSA length out of range");
	is_int(cmp_tmpl_keyspec("DSA:2048", &type, &param), CMP_TMPL_KS_FORM,
	    "another form");
	spec(&p, "EC:secp384r1");
	is_int(check(p384, &p, arg, sizeof(arg)), CMPF_OK,
	    "keySpec EC:secp384r1: P-384 fits");
	is_int(check(p256, &p, arg, sizeof(arg)), CMPF_KEY_SPEC,
	    "keySpec EC:secp384r1: P-256 does not");
	is_str(arg, "EC:secp384r1", "... the keySpec named");
	is_int(check(rsa2048, &p, arg, sizeof(arg)), CMPF_KEY_SPEC,
	    "keySpec EC:secp384r1: RSA does not");
	spec(&p, "RSA:3072");
	is_int(check(rsa2048, &p, arg, sizeof(arg)), CMPF_KEY_SPEC,
	    "keySpec RSA:3072: RSA 2048 is too short");
	spec(&p, "RSA:2048");
	is_int(check(rsa2048, &p, arg, sizeof(arg)), CMPF_OK,
	    "keySpec RSA:2048: RSA 2048 fits");
	is_int(check(p256, &p, arg, sizeof(arg)), CMPF_KEY_SPEC,
	    "keySpec RSA:2048: EC does not");
	spec(&p, "Ed25519");
	is_int(check(ed, &p, arg, sizeof(arg)), CMPF_OK,
	    "keySpec Ed25519: Ed25519 fits");
	is_int(check(p256, &p, arg, sizeof(arg)), CMPF_KEY_SPEC,
	    "keySpec Ed25519: EC does not");
	spec(&p, "EC:nosuch");
	is_int(check(p256, &p, arg, sizeof(arg)), CMPF_GENM_BAD_TEMPLATE,
	    "an unusable keySpec refuses every key");
	is_int(check(ed, &p, arg, sizeof(arg)), CMPF_GENM_BAD_TEMPLATE,
	    "... every one");
	spec(&p, "EC:prime256v1");
	is_int(check(rsa1024, &p, arg, sizeof(arg)), CMPF_KEY_SPEC,
	    "a key both weak and of another type: keySpec named first");

	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p224);
	EVP_PKEY_free(p192);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(ed);
	return done_testing();
}
