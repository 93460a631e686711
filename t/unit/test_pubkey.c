/*
 * Unit test for cmp_pubkey.c, cmp_tmpl_keyspec(), cmp_tmpl_profile() and
 * the template part of cmp_exts_check(): what a request is held to by
 * key_security_level and the CMP Profile's certReqTemplate. Keys below
 * the level are CMPF_KEY_WEAK, at levels 2, 3 and 0; keys other than the
 * profile's keySpec CMPF_KEY_SPEC (type, curve, RSA length); keyUsage
 * and extendedKeyUsage beyond the template's CMPF_TEMPLATE_NOT_OFFERED
 * (OIDs compared whole, anyExtendedKeyUsage offering any); a stored
 * template the API would not take is unusable.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

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
		p->tmpl_bad = 1;
}

/* A template with keyUsage ku and extendedKeyUsage eku (conf values)
 * asked for; the extensions into *exts. */
static int
request_exts(STACK_OF(X509_EXTENSION) **exts, const char *ku,
    const char *eku)
{
	X509_EXTENSION *x;

	*exts = NULL;
	if (ku != NULL) {
		if ((x = X509V3_EXT_nconf_nid(NULL, NULL, NID_key_usage,
		    ku)) == NULL || X509v3_add_ext(exts, x, -1) == NULL)
			return -1;
		X509_EXTENSION_free(x);
	}
	if (eku != NULL) {
		if ((x = X509V3_EXT_nconf_nid(NULL, NULL, NID_ext_key_usage,
		    eku)) == NULL || X509v3_add_ext(exts, x, -1) == NULL)
			return -1;
		X509_EXTENSION_free(x);
	}
	return 0;
}

static enum cmp_fail
usages(const struct profile *p, const char *ku, const char *eku, char *arg,
    size_t n)
{
	STACK_OF(X509_EXTENSION) *exts;
	enum cmp_fail f = CMPF__COUNT;

	if (request_exts(&exts, ku, eku) == 0)
		f = cmp_exts_check(exts, p, arg, n);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return f;
}

int
main(void)
{
	EVP_PKEY *rsa1024, *rsa2048, *pss, *p256, *p224, *p192, *p384, *ed;
	struct profile p;
	char arg[160];
	int type, param;

	memset(&p, 0, sizeof(p));
	rsa1024 = gen("RSA", NULL, 1024);
	rsa2048 = gen("RSA", NULL, 2048);
	pss = gen("RSA-PSS", NULL, 2048);
	p256 = gen("EC", "prime256v1", 0);
	p224 = gen("EC", "secp224r1", 0);
	p192 = gen("EC", "prime192v1", 0);
	p384 = gen("EC", "secp384r1", 0);
	ed = gen("ED25519", NULL, 0);
	if (rsa1024 == NULL || rsa2048 == NULL || pss == NULL || p256 == NULL ||
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
	{
		/* a key against a keySpec; refused ones name the keySpec */
		const struct {
			const char *spec;
			EVP_PKEY *key;
			const char *key_name;
			enum cmp_fail want;
		} fits[] = {
			{ "EC:secp384r1", p384, "P-384", CMPF_OK },
			{ "EC:secp384r1", p256, "P-256", CMPF_KEY_SPEC },
			{ "EC:secp384r1", rsa2048, "RSA 2048", CMPF_KEY_SPEC },
			{ "RSA:3072", rsa2048, "RSA 2048 (too short)",
			    CMPF_KEY_SPEC },
			{ "RSA:2048", rsa2048, "RSA 2048", CMPF_OK },
			{ "RSA:2048", p256, "P-256", CMPF_KEY_SPEC },
			{ "RSA:2048", pss, "RSA-PSS 2048", CMPF_OK },
			{ "Ed25519", ed, "Ed25519", CMPF_OK },
			{ "Ed25519", p256, "P-256", CMPF_KEY_SPEC },
			/* weak and of another type: keySpec named first */
			{ "EC:prime256v1", rsa1024, "RSA 1024", CMPF_KEY_SPEC },
		};
		size_t i;

		for (i = 0; i < NITEMS(fits); i++) {
			spec(&p, fits[i].spec);
			is_int(check(fits[i].key, &p, arg, sizeof(arg)),
			    fits[i].want, "keySpec %s, a %s key: %s",
			    fits[i].spec, fits[i].key_name,
			    fits[i].want == CMPF_OK ? "fits" : "does not");
			if (fits[i].want == CMPF_KEY_SPEC)
				is_str(arg, fits[i].spec,
				    "... the keySpec named");
		}
	}

	/* the usages the template offers */
	memset(&p, 0, sizeof(p));
	is_int(cmp_tmpl_profile("{\"keyUsage\": [\"digitalSignature\", "
	    "\"keyAgreement\"], \"extendedKeyUsage\": [\"clientAuth\", "
	    "\"1.3.6.1.5.5.7.3.10\"]}", &p), 0, "template usages read");
	is_int(p.tmpl_ku, 1 << 0 | 1 << 4, "... keyUsage as bits");
	is_str(p.tmpl_eku, "1.3.6.1.5.5.7.3.2,1.3.6.1.5.5.7.3.10",
	    "... extendedKeyUsage as dotted OIDs");
	is_int(p.key_type, EVP_PKEY_NONE, "... no keySpec: any key");
	is_int(usages(&p, "critical,digitalSignature", "clientAuth", arg,
	    sizeof(arg)), CMPF_OK, "a request within them");
	is_int(usages(&p, "digitalSignature,keyEncipherment", NULL, arg,
	    sizeof(arg)), CMPF_TEMPLATE_NOT_OFFERED,
	    "keyEncipherment, not offered");
	is_str(arg, "keyUsage keyEncipherment", "... named");
	is_int(usages(&p, NULL, "clientAuth,serverAuth", arg, sizeof(arg)),
	    CMPF_TEMPLATE_NOT_OFFERED, "serverAuth (...3.1), not offered "
	    "beside ...3.10");
	is_str(arg, "extendedKeyUsage serverAuth", "... named");
	is_int(usages(&p, NULL, "1.3.6.1.5.5.7.3.10", arg, sizeof(arg)),
	    CMPF_OK, "an OID offered");
	is_int(usages(&p, NULL, "1.3.6.1.5.5.7.3", arg, sizeof(arg)),
	    CMPF_TEMPLATE_NOT_OFFERED, "an OID the prefix of one offered");
	is_int(usages(&p, "keyCertSign", NULL, arg, sizeof(arg)),
	    CMPF_TEMPLATE_CA_POWER, "a power of the CA: that answer first");
	is_int(usages(NULL, "keyEncipherment", "serverAuth", arg, sizeof(arg)),
	    CMPF_OK, "no profile: any usage");
	is_int(cmp_tmpl_profile("{\"extendedKeyUsage\": "
	    "[\"anyExtendedKeyUsage\"]}", &p), 0, "anyExtendedKeyUsage read");
	is_int(usages(&p, "keyEncipherment", "serverAuth,codeSigning", arg,
	    sizeof(arg)), CMPF_OK,
	    "anyExtendedKeyUsage, no keyUsage listed: any usage");
	is_int(cmp_tmpl_profile("{\"keySpec\": \"RSA:3072\", "
	    "\"keyUsage\": [\"digitalSignature\"]}", &p), 0,
	    "keySpec and keyUsage read");
	ok(p.key_type == EVP_PKEY_RSA && p.key_param == 3072 &&
	    strcmp(p.key_spec, "RSA:3072") == 0 && p.tmpl_ku == 1 &&
	    p.tmpl_eku[0] == '\0', "... as the profile holds them");
	/* what the API would not take: unusable, and nothing set */
	is_int(cmp_tmpl_profile("{\"keyUsage\": [\"fly\"]}", &p), -1,
	    "an unknown keyUsage: unusable");
	ok(p.tmpl_ku == 0 && p.key_type == EVP_PKEY_NONE, "... nothing set");
	is_int(cmp_tmpl_profile("{\"extendedKeyUsage\": {\"a\": 1}}", &p),
	    -1, "extendedKeyUsage not an array: unusable");
	is_int(cmp_tmpl_profile("{\"keyUsage\": \"digitalSignature\"}", &p),
	    -1, "keyUsage a string: unusable");
	is_int(cmp_tmpl_profile("{\"keySpec\": {\"EC\": 1}}", &p), -1,
	    "keySpec an object: unusable");
	is_int(cmp_tmpl_profile("{\"keySpec\": \"EC:prime256v1\"", &p), -1,
	    "not JSON: unusable");
	is_int(cmp_tmpl_profile("{\"keySpec\": \"EC:nosuch\"}", &p), -1,
	    "an unknown curve: unusable");
	is_int(cmp_tmpl_profile("{\"flavour\": 1}", &p), -1,
	    "an unknown member: unusable");
	is_int(cmp_tmpl_profile("", &p), 0, "none: usable, nothing held");

	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(pss);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p224);
	EVP_PKEY_free(p192);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(ed);
	return done_testing();
}
