/*
 * The public key a certificate is asked for: an ir, cr or kur template's
 * publicKey (RFC 4211 5), a p10cr's CSR key (RFC 2986 4.1), checked
 * before the CA is asked, whatever the CA would make of it. A key that
 * anyone can sign with never gets here: spki_decode() refuses it, and
 * the POP fails. What is refused here:
 *
 *   - a key other than the CMP Profile's certReqTemplate asks for in its
 *     keySpec (RFC 9483 4.3.3): another type or curve, an RSA key shorter
 *     than its length (a longer one passes);
 *   - a key below key_security_level, on OpenSSL's scale (0: none,
 *     1: 80 bits, 2: 112, 3: 128, 4: 192, 5: 256; 2 means RSA of 2048
 *     bits and up, EC of 224 and up).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "cmpd.h"

static const int level_bits[] = { 0, 80, 112, 128, 192, 256 };
static int key_level = 2;

void
cmp_pubkey_level(int level)
{
	if (level >= 0 && level < (int)NITEMS(level_bits))
		key_level = level;
}

/* The bits of security key_security_level asks for. */
int
cmp_pubkey_level_bits(void)
{
	return level_bits[key_level];
}

/*
 * The bits of security of a key keySpec asks for (cmp_tmpl_keyspec's
 * type and param), on the scale EVP_PKEY_get_security_bits() uses: the
 * API refuses a keySpec below key_security_level, which no key would
 * meet. -1 if unknown.
 */
int
cmp_pubkey_spec_bits(int type, int param)
{
	EC_GROUP *g;
	int bits;

	switch (type) {
	case EVP_PKEY_RSA:
		return BN_security_bits(param, -1);
	case EVP_PKEY_EC:
		if ((g = EC_GROUP_new_by_curve_name(param)) == NULL)
			return -1;
		bits = EC_GROUP_order_bits(g) / 2;
		EC_GROUP_free(g);
		return bits;
	case EVP_PKEY_ED25519:
		return 128;
	case EVP_PKEY_ED448:
		return 224;
	default:
		return -1;
	}
}

/* The key's type and curve as keySpec names them. */
static int
pubkey_fits_spec(const EVP_PKEY *key, const struct profile *p)
{
	char curve[64];

	/* an RSA key restricted to RSASSA-PSS is an RSA key too */
	if (EVP_PKEY_get_base_id(key) != p->key_type &&
	    !(p->key_type == EVP_PKEY_RSA &&
	    EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA_PSS))
		return 0;
	switch (p->key_type) {
	case EVP_PKEY_EC:
		return EVP_PKEY_get_group_name(key, curve, sizeof(curve),
		    NULL) && OBJ_txt2nid(curve) == p->key_param;
	case EVP_PKEY_RSA:
		return EVP_PKEY_get_bits(key) >= p->key_param;
	default:
		return 1;
	}
}

/*
 * key, the public key a request of profile p asks a certificate for:
 * CMPF_OK, or the failure with what is wrong named into arg.
 */
enum cmp_fail
cmp_pubkey_check(const EVP_PKEY *key, const struct profile *p, char *arg,
    size_t arglen)
{
	enum cmp_fail f;
	int bits;

	arg[0] = '\0';
	if (p->key_type != EVP_PKEY_NONE && !pubkey_fits_spec(key, p)) {
		snprintf(arg, arglen, "%s", p->key_spec);
		f = CMPF_KEY_SPEC;
		goto out;
	}
	if ((bits = EVP_PKEY_get_security_bits(key)) < level_bits[key_level]) {
		snprintf(arg, arglen, "%s of %d bits has %d bits of security, "
		    "less than %d", EVP_PKEY_get0_type_name(key) != NULL ?
		    EVP_PKEY_get0_type_name(key) : "a key",
		    EVP_PKEY_get_bits(key), bits < 0 ? 0 : bits,
		    level_bits[key_level]);
		f = CMPF_KEY_WEAK;
		goto out;
	}
	f = CMPF_OK;
 out:
	ERR_clear_error();
	return f;
}
