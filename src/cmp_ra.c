/*
 * Registration authorities of a CMP Profile (RFC 9483 5.2): the list of
 * RA certificates or CA certificates in table ra_certificate, and what a
 * verified signer may do as an RA. An entry matches a signer when it is
 * the signer's certificate or one of the CA certificates of the chain
 * the profile's trust anchors validated (cmp_server.c), so that an RA
 * counts only once its signature verified the normal way. A CA
 * certificate on the list stands for the RAs it certifies, not for every
 * device it issued to: a signer under it is one only when its
 * certificate says so (extendedKeyUsage id-kp-cmcRA, RFC 6402 2.10).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmpd.h"

/* Lowercase hex SHA-256 of the certificate's DER: the column's key. */
int
cmp_ra_fingerprint(X509 *x, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	if (!X509_digest(x, EVP_sha256(), md, &n) || n != sizeof(md))
		return -1;
	util_hex(md, sizeof(md), out, 65);
	return 0;
}

/* The permissions the entry for x grants on the CMP Profile, or 0. */
static int
cmp_ra_entry(const char *cmp_uuid, X509 *x)
{
	static const char sql[] = "SELECT perm_enroll, perm_revoke, "
	    "perm_ra_verified FROM ra_certificate "
	    "WHERE cmp_profile_uuid = ? AND fingerprint = ?";
	struct db_col c[3];
	char fp[65];
	int r, i;

	if (cmp_ra_fingerprint(x, fp) != 0)
		return -1;
	memset(c, 0, sizeof(c));
	for (i = 0; i < 3; i++)
		c[i].type = DB_INT;
	{
		struct db_arg a[2] = { DB_ARG_STR(cmp_uuid), DB_ARG_STR(fp) };

		r = db_run(sql, a, 2, c, 3, NULL);
	}
	if (r == DB_NOTFOUND)
		return 0;
	if (r != DB_OK)
		return -1;
	return (c[0].i ? RA_PERM_ENROLL : 0) | (c[1].i ? RA_PERM_REVOKE : 0) |
	    (c[2].i ? RA_PERM_RAVERIFIED : 0) | RA_PERM_LISTED;
}

/* Does x's extendedKeyUsage name id-kp-cmcRA? */
static int
cmp_ra_marked(X509 *x)
{
	EXTENDED_KEY_USAGE *eku;
	int i, r = 0;

	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL)) == NULL)
		return 0;
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == NID_cmcRA)
			r = 1;
	EXTENDED_KEY_USAGE_free(eku);
	return r;
}

/*
 * What the signer of a validated chain (signer first) may do as an RA
 * of the profile: the union of the entries of its chain, those of its CA
 * certificates only for a signer marked as an RA (cmp_ra_marked). 0 when
 * it is no RA, -1 when the database cannot tell.
 */
int
cmp_ra_chain_perms(const struct profile *p, STACK_OF(X509) *chain)
{
	int i, e, n, perms = 0;

	if (chain == NULL || sk_X509_num(chain) < 1)
		return 0;
	n = cmp_ra_marked(sk_X509_value(chain, 0)) ? sk_X509_num(chain) : 1;
	for (i = 0; i < n; i++) {
		if ((e = cmp_ra_entry(p->cmp_uuid, sk_X509_value(chain, i))) < 0)
			return -1;
		perms |= e;
	}
	return perms;
}

/*
 * The RA permissions behind the message being handled: set by the
 * nested handling for its inner messages, else looked up once for the
 * verified signer (only when a handler asks: most requests never do).
 */
int
cmp_ra_perms(struct profile *p)
{
	int r;

	if (p->ra_looked_up)
		return p->ra_perms;
	if (p->signer_chain == NULL)
		r = 0;
	else if ((r = cmp_ra_chain_perms(p, p->signer_chain)) < 0)
		return -1;
	p->ra_perms = r;
	p->ra_looked_up = 1;
	return r;
}
