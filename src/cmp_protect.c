/*
 * Message protection (RFC 9810 5.1.3): with a shared secret, PBM (RFC
 * 4211 4.4, RFC 9481 6.1.1) or PBMAC1 (RFC 8018 7.1, RFC 9481 6.1.3),
 * and with signatures. A request's PBM is verified with libcrypto's
 * OSSL_CRMF_pbm_new, PBMAC1 with EVP_KDF PBKDF2 and EVP_MAC HMAC; cmpd
 * decides which parameters it accepts. An answer's MAC is HMAC with a
 * key derived the same way (PBM's with EVP_Digest, as OSSL_CRMF_pbm_new
 * gives no key), kept per worker with its salt (mac_memo.c).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crmf.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "chain_memo.h"
#include "cmpd.h"
#include "key_memo.h"
#include "mac_memo.h"

#define PBM_ITERATIONS_MIN	100	/* RFC 4211 4.4 */
#define PBMAC1_ITERATIONS_MIN	1000	/* RFC 8018 4.2 */
#define PBMAC1_SALT_MIN		8	/* RFC 8018 4.1: at least 64 bits */
#define PBMAC1_SALT_MAX		64
#define PBMAC1_KEY_MIN		16
#define PBMAC1_KEY_MAX		64

_Static_assert(PBMAC1_KEY_MAX <= MAC_MEMO_KEY_MAX,
    "an answer's PBMAC1 key fits the memo");

/*
 * RFC 9481 4.1.1 (owf) and 6.1.1 (mac). SHA-1 as PBM's owf only where the
 * CMP Profile allows legacyPbm. HMAC-SHA1 stays: it is what `openssl cmp`
 * sends unless told otherwise (-mac), and HMAC does not rest on SHA-1's
 * collision resistance (RFC 6194 3.2).
 */
static const int pbm_owf_ok[] = { NID_sha256, NID_sha384, NID_sha512 };
static const int pbm_mac_ok[] = { NID_hmac_sha1, NID_hmacWithSHA256,
	NID_hmacWithSHA384, NID_hmacWithSHA512 };

/* RFC 9481 6.1.3: PBKDF2's prf and the MAC are HMAC with SHA-2 (6.2.1). */
static const struct {
	int	 nid;
	const char *md;
} hmac_sha2[] = {
	{ NID_hmacWithSHA256, "SHA256" },
	{ NID_hmacWithSHA384, "SHA384" },
	{ NID_hmacWithSHA512, "SHA512" },
};

/* The checked parameters of a MAC-protected header. */
struct mac_params {
	int	 nid;			/* id-PasswordBasedMAC or PBMAC1 */
	/* PBM */
	OSSL_CRMF_PBMPARAMETER *pbm;
	int	 owf_nid, mac_nid;
	long	 iter;
	/* PBMAC1 */
	unsigned char salt[PBMAC1_SALT_MAX];
	size_t	 salt_len;
	size_t	 key_len;
	int	 prf_nid;
	const char *prf_md, *mac_md;
};

static int
nid_in(int nid, const int *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == nid)
			return 1;
	return 0;
}

/* DER(ProtectedPart{header, body}) of m; *der to OPENSSL_free. */
static int
protected_part_der(const CMPD_MSG *m, unsigned char **der)
{
	CMPD_PROTECTEDPART pp;

	pp.header = m->header;
	pp.body = m->body;
	*der = NULL;
	return i2d_CMPD_PROTECTEDPART(&pp, der);
}

/* The SEQUENCE parameters of protectionAlg, or NULL. */
static const ASN1_STRING *
alg_seq(const X509_ALGOR *a, int *nid)
{
	const ASN1_OBJECT *oid;
	const void *pval;
	int ptype;

	X509_ALGOR_get0(&oid, &ptype, &pval, a);
	*nid = OBJ_obj2nid(oid);
	return ptype == V_ASN1_SEQUENCE ? pval : NULL;
}

/*
 * PBM's PBMParameter, checked against the allow-lists and the iteration
 * cap (RFC 9810 5.1.3.1).
 */
static enum cmp_fail
pbm_params(const ASN1_STRING *seq, long max_iter, int legacy,
    struct mac_params *mp, char *arg, size_t arglen)
{
	const unsigned char *p;
	CMPD_PBMPARAMETER *f = NULL;
	enum cmp_fail fail = CMPF_PBM_PARAMS;
	long iter;

	if (seq == NULL)
		goto out;
	p = ASN1_STRING_get0_data(seq);
	if ((f = d2i_CMPD_PBMPARAMETER(NULL, &p, ASN1_STRING_length(seq))) ==
	    NULL)
		goto out;
	mp->owf_nid = OBJ_obj2nid(f->owf->algorithm);
	mp->mac_nid = OBJ_obj2nid(f->mac->algorithm);
	if (mp->owf_nid == NID_sha1 && !legacy &&
	    nid_in(mp->mac_nid, pbm_mac_ok, NITEMS(pbm_mac_ok))) {
		fail = CMPF_PBM_LEGACY;
		goto out;
	}
	if (!(nid_in(mp->owf_nid, pbm_owf_ok, NITEMS(pbm_owf_ok)) ||
	    (legacy && mp->owf_nid == NID_sha1)) ||
	    !nid_in(mp->mac_nid, pbm_mac_ok, NITEMS(pbm_mac_ok))) {
		snprintf(arg, arglen, "owf %s, mac %s",
		    OBJ_nid2sn(mp->owf_nid), OBJ_nid2sn(mp->mac_nid));
		goto out;
	}
	iter = ASN1_INTEGER_get(f->iterationCount);
	if (iter < PBM_ITERATIONS_MIN || iter > max_iter) {
		snprintf(arg, arglen, "iterationCount %ld not in %d..%ld",
		    iter, PBM_ITERATIONS_MIN, max_iter);
		goto out;
	}
	mp->iter = iter;
	p = ASN1_STRING_get0_data(seq);
	if ((mp->pbm = d2i_OSSL_CRMF_PBMPARAMETER(NULL, &p,
	    ASN1_STRING_length(seq))) == NULL)
		goto out;
	fail = CMPF_OK;
 out:
	CMPD_PBMPARAMETER_free(f);
	return fail;
}

/* The SHA-2 name of an HMAC AlgorithmIdentifier (parameters NULL or
 * absent, RFC 8018 B.1.2), or NULL. */
static const char *
hmac_md(const X509_ALGOR *a, int *nid)
{
	const ASN1_OBJECT *oid;
	int ptype;
	size_t i;

	*nid = NID_undef;
	if (a == NULL)
		return NULL;
	X509_ALGOR_get0(&oid, &ptype, NULL, a);
	*nid = OBJ_obj2nid(oid);
	if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)
		return NULL;
	for (i = 0; i < NITEMS(hmac_sha2); i++)
		if (hmac_sha2[i].nid == *nid)
			return hmac_sha2[i].md;
	return NULL;
}

/*
 * PBMAC1-params: keyDerivationFunc PBKDF2 with a specified salt, an
 * iteration count within the same cap as PBM's, HMAC-SHA-2 as prf and
 * as messageAuthScheme (RFC 9481 6.1.3).
 */
static enum cmp_fail
pbmac1_params(const ASN1_STRING *seq, long max_iter, struct mac_params *mp,
    char *arg, size_t arglen)
{
	const unsigned char *p;
	const ASN1_OBJECT *oid;
	const void *pval;
	const ASN1_STRING *s;
	CMPD_PBMAC1PARAM *pp = NULL;
	PBKDF2PARAM *kdf = NULL;
	enum cmp_fail fail = CMPF_PBM_PARAMS;
	int ptype, nid;
	long iter, klen;

	if (seq == NULL)
		goto out;
	p = ASN1_STRING_get0_data(seq);
	if ((pp = d2i_CMPD_PBMAC1PARAM(NULL, &p, ASN1_STRING_length(seq))) ==
	    NULL)
		goto out;
	X509_ALGOR_get0(&oid, &ptype, &pval, pp->keyDerivationFunc);
	if (OBJ_obj2nid(oid) != NID_id_pbkdf2) {
		snprintf(arg, arglen, "PBMAC1 keyDerivationFunc %s",
		    OBJ_nid2sn(OBJ_obj2nid(oid)));
		goto out;
	}
	if (ptype != V_ASN1_SEQUENCE || (s = pval) == NULL)
		goto out;
	p = ASN1_STRING_get0_data(s);
	if ((kdf = d2i_PBKDF2PARAM(NULL, &p, ASN1_STRING_length(s))) == NULL)
		goto out;
	/* otherSource salts (RFC 8018 A.2) have no definition to follow */
	if (kdf->salt == NULL || kdf->salt->type != V_ASN1_OCTET_STRING ||
	    ASN1_STRING_length(kdf->salt->value.octet_string) <
	    PBMAC1_SALT_MIN ||
	    ASN1_STRING_length(kdf->salt->value.octet_string) >
	    PBMAC1_SALT_MAX) {
		snprintf(arg, arglen, "PBMAC1 salt not an OCTET STRING of "
		    "%d..%d octets", PBMAC1_SALT_MIN, PBMAC1_SALT_MAX);
		goto out;
	}
	mp->salt_len = (size_t)ASN1_STRING_length(
	    kdf->salt->value.octet_string);
	memcpy(mp->salt, ASN1_STRING_get0_data(kdf->salt->value.octet_string),
	    mp->salt_len);
	iter = ASN1_INTEGER_get(kdf->iter);
	if (iter < PBMAC1_ITERATIONS_MIN || iter > max_iter) {
		snprintf(arg, arglen, "iterationCount %ld not in %d..%ld",
		    iter, PBMAC1_ITERATIONS_MIN, max_iter);
		goto out;
	}
	mp->iter = iter;
	/* An absent prf is hmacWithSHA1 (RFC 8018 A.2): not SHA-2. */
	if (kdf->prf == NULL)
		mp->prf_nid = NID_hmacWithSHA1;
	else
		mp->prf_md = hmac_md(kdf->prf, &mp->prf_nid);
	mp->mac_md = hmac_md(pp->messageAuthScheme, &nid);
	if (mp->prf_md == NULL || mp->mac_md == NULL) {
		snprintf(arg, arglen, "PBMAC1 prf %s, messageAuthScheme %s",
		    OBJ_nid2sn(mp->prf_nid), OBJ_nid2sn(nid));
		goto out;
	}
	mp->mac_nid = nid;
	/* Absent: as long as the MAC's output (RFC 8018 A.2 leaves it to
	 * the application). */
	if (kdf->keylength == NULL)
		klen = EVP_MD_get_size(EVP_get_digestbyname(mp->mac_md));
	else
		klen = ASN1_INTEGER_get(kdf->keylength);
	if (klen < PBMAC1_KEY_MIN || klen > PBMAC1_KEY_MAX) {
		snprintf(arg, arglen, "PBMAC1 keyLength %ld not in %d..%d",
		    klen, PBMAC1_KEY_MIN, PBMAC1_KEY_MAX);
		goto out;
	}
	mp->key_len = (size_t)klen;
	fail = CMPF_OK;
 out:
	PBKDF2PARAM_free(kdf);
	CMPD_PBMAC1PARAM_free(pp);
	return fail;
}

static void
mac_params_clear(struct mac_params *mp)
{
	OSSL_CRMF_PBMPARAMETER_free(mp->pbm);
	OPENSSL_cleanse(mp, sizeof(*mp));
}

/*
 * The parameters of a MAC-protected header, checked; *fail set and
 * arg filled (when empty) otherwise.
 */
static enum cmp_fail
mac_params(const CMPD_HEADER *h, long max_iter, int legacy,
    struct mac_params *mp, char *arg, size_t arglen)
{
	const ASN1_STRING *seq;
	enum cmp_fail f;

	memset(mp, 0, sizeof(*mp));
	seq = alg_seq(h->protectionAlg, &mp->nid);
	if (mp->nid == NID_id_PasswordBasedMAC)
		f = pbm_params(seq, max_iter, legacy, mp, arg, arglen);
	else if (mp->nid == NID_pbmac1)
		f = pbmac1_params(seq, max_iter, mp, arg, arglen);
	else {
		OBJ_obj2txt(arg, (int)arglen, h->protectionAlg->algorithm, 0);
		return CMPF_PROTECTION_ALG_UNKNOWN;
	}
	if (f == CMPF_PBM_PARAMS && arg[0] == '\0')
		snprintf(arg, arglen, "malformed %s parameters",
		    mp->nid == NID_pbmac1 ? "PBMAC1" : "PBM");
	if (f != CMPF_OK)
		mac_params_clear(mp);
	return f;
}

/* PBKDF2 (RFC 8018 5.2) of secret and salt into key[mp->key_len]. */
static int
pbkdf2_key(const struct mac_params *mp, const unsigned char *secret,
    size_t slen, const unsigned char *salt, size_t salt_len,
    unsigned char *key)
{
	OSSL_PARAM params[6], *q = params;
	EVP_KDF_CTX *kctx = NULL;
	EVP_KDF *kdf = NULL;
	uint64_t iter = (uint64_t)mp->iter;
	int pkcs5 = 1, r = -1;

	/* pkcs5 = 1: cmpd's own limits above, not SP 800-132's */
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	    (void *)secret, slen);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)salt, salt_len);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iter);
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)mp->prf_md, 0);
	*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5);
	*q = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "PBKDF2", NULL)) != NULL &&
	    (kctx = EVP_KDF_CTX_new(kdf)) != NULL &&
	    EVP_KDF_derive(kctx, key, mp->key_len, params) == 1)
		r = 0;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return r;
}

/* HMAC with md over der into a new *mac. */
static int
hmac(const char *md, const unsigned char *key, size_t key_len,
    const unsigned char *der, size_t derlen, unsigned char **mac,
    size_t *maclen)
{
	if ((*mac = OPENSSL_malloc(EVP_MAX_MD_SIZE)) == NULL)
		return -1;
	if (EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, key, key_len, der, derlen,
	    *mac, EVP_MAX_MD_SIZE, maclen) == NULL) {
		OPENSSL_free(*mac);
		*mac = NULL;
		return -1;
	}
	return 0;
}

/* PBKDF2, then HMAC over der. */
static int
pbmac1_compute(const struct mac_params *mp, const unsigned char *der,
    size_t derlen, const unsigned char *secret, size_t slen,
    unsigned char **mac, size_t *maclen)
{
	unsigned char key[PBMAC1_KEY_MAX];
	int r = -1;

	if (pbkdf2_key(mp, secret, slen, mp->salt, mp->salt_len, key) == 0)
		r = hmac(mp->mac_md, key, mp->key_len, der, derlen, mac,
		    maclen);
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

/* The MAC of m's ProtectedPart under mp and secret. */
static int
mac_compute(const CMPD_MSG *m, const struct mac_params *mp,
    const unsigned char *secret, size_t slen, unsigned char **mac,
    size_t *maclen)
{
	unsigned char *der = NULL;
	int n, r = -1;

	*mac = NULL;
	if ((n = protected_part_der(m, &der)) <= 0)
		goto out;
	if (mp->nid == NID_pbmac1)
		r = pbmac1_compute(mp, der, (size_t)n, secret, slen, mac,
		    maclen);
	else if (OSSL_CRMF_pbm_new(NULL, NULL, mp->pbm, der, (size_t)n,
	    secret, slen, mac, maclen))
		r = 0;
 out:
	OPENSSL_free(der);
	return r;
}

/*
 * Verifies a MAC-protected request (PBM or PBMAC1) with the profile's
 * secret. RFC 9810 5.1.3.1: senderKID identifies the secret; when the
 * profile names a reference, senderKID must be it.
 */
enum cmp_fail
cmp_protect_pbm_verify(const CMPD_MSG *m, const unsigned char *secret,
    size_t slen, const char *reference, long max_iter, int legacy,
    char *arg, size_t arglen)
{
	struct mac_params mp;
	const ASN1_OCTET_STRING *kid = m->header->senderKID;
	unsigned char *mac = NULL;
	size_t maclen = 0;
	enum cmp_fail f;

	arg[0] = '\0';
	if ((f = mac_params(m->header, max_iter, legacy, &mp, arg,
	    arglen)) != CMPF_OK)
		goto out;
	f = CMPF_SENDER_KID_MISSING;
	if (kid == NULL || ASN1_STRING_length(kid) == 0)
		goto out;
	/* The same answer for a wrong reference as for a wrong MAC: no
	 * oracle for which references exist. */
	f = CMPF_MAC_MISMATCH;
	if (reference != NULL &&
	    ((size_t)ASN1_STRING_length(kid) != strlen(reference) ||
	    memcmp(ASN1_STRING_get0_data(kid), reference, strlen(reference))))
		goto out;
	if (mac_compute(m, &mp, secret, slen, &mac, &maclen) != 0)
		goto out;
	if ((size_t)ASN1_STRING_length(m->protection) != maclen ||
	    (m->protection->flags & 0x07) != 0 ||
	    CRYPTO_memcmp(ASN1_STRING_get0_data(m->protection), mac,
	    maclen) != 0)
		goto out;
	f = CMPF_OK;
 out:
	OPENSSL_free(mac);
	mac_params_clear(&mp);
	ERR_clear_error();
	return f;
}

/*
 * PBM's key (RFC 4211 4.4): the owf over the secret and the salt, then
 * over its own output, iterationCount times in all. OSSL_CRMF_pbm_new
 * computes the same and gives only the MAC made with it;
 * t/unit/test_protect checks that the two agree.
 */
static int
pbm_key(const struct mac_params *mp, const unsigned char *secret,
    size_t slen, struct mac_memo_val *v)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_MD *md = NULL;
	unsigned int n = 0;
	long i;
	int r = -1;

	if ((md = EVP_MD_fetch(NULL, OBJ_nid2sn(mp->owf_nid), NULL)) == NULL ||
	    EVP_MD_get_size(md) > (int)sizeof(v->key) ||
	    (ctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(ctx, md, NULL) ||
	    !EVP_DigestUpdate(ctx, secret, slen) ||
	    !EVP_DigestUpdate(ctx, v->salt, sizeof(v->salt)) ||
	    !EVP_DigestFinal_ex(ctx, v->key, &n))
		goto out;
	for (i = 1; i < mp->iter; i++)
		if (!EVP_DigestInit_ex(ctx, md, NULL) ||
		    !EVP_DigestUpdate(ctx, v->key, n) ||
		    !EVP_DigestFinal_ex(ctx, v->key, &n))
			goto out;
	v->key_len = n;
	r = 0;
 out:
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return r;
}

/*
 * The key and salt for an answer under mp and secret: the ones this
 * worker drew and derived for the same secret and parameters a little
 * earlier (mac_memo.c), or a fresh salt and its key.
 */
static int
answer_key(const struct mac_params *mp, const unsigned char *secret,
    size_t slen, struct mac_memo_val *v)
{
	struct mac_memo_key k;
	time_t now = time(NULL), until;
	int r;

	memset(&k, 0, sizeof(k));
	k.nid = mp->nid;
	k.kdf_nid = mp->nid == NID_pbmac1 ? mp->prf_nid : mp->owf_nid;
	k.mac_nid = mp->mac_nid;
	k.iter = mp->iter;
	k.key_len = mp->nid == NID_pbmac1 ? mp->key_len : 0;
	k.secret = secret;
	k.secret_len = slen;
	if (mac_memo_find(&k, now, v, &until) == 0) {
		log_debug("answer's MAC key as derived before, for %lld s "
		    "more", (long long)(until - now));
		return 0;
	}
	if (RAND_bytes(v->salt, sizeof(v->salt)) != 1)
		return -1;
	if (mp->nid == NID_pbmac1) {
		v->key_len = mp->key_len;
		r = pbkdf2_key(mp, secret, slen, v->salt, sizeof(v->salt),
		    v->key);
	} else
		r = pbm_key(mp, secret, slen, v);
	if (r != 0) {
		OPENSSL_cleanse(v, sizeof(*v));
		return -1;
	}
	mac_memo_add(&k, v, now);
	return 0;
}

/* An AlgorithmIdentifier of nid with der[n] as its SEQUENCE. */
static X509_ALGOR *
alg_new(int nid, const unsigned char *der, int n)
{
	ASN1_STRING *params = NULL;
	X509_ALGOR *a = NULL;

	if (n <= 0 || (params = ASN1_STRING_new()) == NULL ||
	    !ASN1_STRING_set(params, der, n) ||
	    (a = X509_ALGOR_new()) == NULL ||
	    !X509_ALGOR_set0(a, OBJ_nid2obj(nid), V_ASN1_SEQUENCE, params)) {
		X509_ALGOR_free(a);
		ASN1_STRING_free(params);
		return NULL;
	}
	return a;
}

/* protectionAlg for an answer: PBM with the request's owf, mac and
 * iteration count, and v's salt. */
static X509_ALGOR *
pbm_alg_new(const struct mac_params *req, const struct mac_memo_val *v)
{
	CMPD_PBMPARAMETER *pbm;
	unsigned char *der = NULL;
	X509_ALGOR *a = NULL;
	int n;

	if ((pbm = CMPD_PBMPARAMETER_new()) == NULL)
		return NULL;
	/* owf and mac without parameters, as OSSL_CRMF_pbmp_new writes
	 * them */
	if (ASN1_OCTET_STRING_set(pbm->salt, v->salt, sizeof(v->salt)) &&
	    X509_ALGOR_set0(pbm->owf, OBJ_nid2obj(req->owf_nid),
	    V_ASN1_UNDEF, NULL) &&
	    ASN1_INTEGER_set(pbm->iterationCount, req->iter) &&
	    X509_ALGOR_set0(pbm->mac, OBJ_nid2obj(req->mac_nid),
	    V_ASN1_UNDEF, NULL) &&
	    (n = i2d_CMPD_PBMPARAMETER(pbm, &der)) > 0)
		a = alg_new(NID_id_PasswordBasedMAC, der, n);
	OPENSSL_free(der);
	CMPD_PBMPARAMETER_free(pbm);
	return a;
}

/* protectionAlg for an answer: PBMAC1 with the request's prf, iteration
 * count, key length and MAC, and v's salt. */
static X509_ALGOR *
pbmac1_alg_new(const struct mac_params *req, const struct mac_memo_val *v)
{
	CMPD_PBMAC1PARAM *pp;
	unsigned char *der = NULL;
	X509_ALGOR *a = NULL;
	int n;

	if ((pp = CMPD_PBMAC1PARAM_new()) == NULL)
		return NULL;
	X509_ALGOR_free(pp->keyDerivationFunc);
	if ((pp->keyDerivationFunc = PKCS5_pbkdf2_set((int)req->iter,
	    (unsigned char *)v->salt, (int)sizeof(v->salt), req->prf_nid,
	    (int)req->key_len)) != NULL &&
	    X509_ALGOR_set0(pp->messageAuthScheme, OBJ_nid2obj(req->mac_nid),
	    V_ASN1_NULL, NULL) &&
	    (n = i2d_CMPD_PBMAC1PARAM(pp, &der)) > 0)
		a = alg_new(NID_pbmac1, der, n);
	OPENSSL_free(der);
	CMPD_PBMAC1PARAM_free(pp);
	return a;
}

/* The digest name of PBM's mac (hmac-sha1 or HMAC-SHA-2), as
 * OSSL_CRMF_pbm_new finds it. */
static const char *
pbm_mac_md(int mac_nid)
{
	int md_nid = NID_undef;

	if (!EVP_PBE_find(EVP_PBE_TYPE_PRF, mac_nid, NULL, &md_nid, NULL))
		return NULL;
	return OBJ_nid2sn(md_nid);
}

/*
 * Protects an answer the way the request was: PBM for PBM, PBMAC1 for
 * PBMAC1, with the request's (already checked) parameters and the salt
 * answer_key() gives; senderKID echoed (RFC 9810 5.1.3.1).
 */
int
cmp_protect_pbm(CMPD_MSG *rsp, const CMPD_MSG *req,
    const unsigned char *secret, size_t slen, long max_iter, int legacy)
{
	struct mac_memo_val v;
	struct mac_params mp;
	unsigned char *mac = NULL, *der = NULL;
	size_t maclen = 0;
	char arg[128] = "";
	const char *md;
	X509_ALGOR *alg;
	int n, r = -1;

	memset(&v, 0, sizeof(v));
	if (mac_params(req->header, max_iter, legacy, &mp, arg,
	    sizeof(arg)) != CMPF_OK)
		return -1;
	md = mp.nid == NID_pbmac1 ? mp.mac_md : pbm_mac_md(mp.mac_nid);
	if (md == NULL || answer_key(&mp, secret, slen, &v) != 0)
		goto out;
	alg = mp.nid == NID_pbmac1 ? pbmac1_alg_new(&mp, &v) :
	    pbm_alg_new(&mp, &v);
	if (alg == NULL)
		goto out;
	X509_ALGOR_free(rsp->header->protectionAlg);
	rsp->header->protectionAlg = alg;
	ASN1_OCTET_STRING_free(rsp->header->senderKID);
	rsp->header->senderKID = NULL;
	if (req->header->senderKID != NULL &&
	    (rsp->header->senderKID =
	    ASN1_OCTET_STRING_dup(req->header->senderKID)) == NULL)
		goto out;
	if ((n = protected_part_der(rsp, &der)) <= 0 ||
	    hmac(md, v.key, v.key_len, der, (size_t)n, &mac, &maclen) != 0)
		goto out;
	ASN1_BIT_STRING_free(rsp->protection);
	if ((rsp->protection = ASN1_BIT_STRING_new()) == NULL ||
	    !ASN1_BIT_STRING_set(rsp->protection, mac, (int)maclen))
		goto out;
	/* All bits used: no unused-bits trimming of the MAC. */
	rsp->protection->flags &= ~0x07;
	rsp->protection->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	r = 0;
 out:
	OPENSSL_free(mac);
	OPENSSL_free(der);
	OPENSSL_cleanse(&v, sizeof(v));
	mac_params_clear(&mp);
	ERR_clear_error();
	return r;
}

/*
 * Signature protection (RFC 9810 5.1.3.3). The algorithms a request may
 * use (RFC 9481 3): RSA PKCS#1 v1.5 and RSASSA-PSS with SHA-2, ECDSA with
 * SHA-2, Ed25519.
 */
static const int sig_alg_ok[] = {
	NID_sha256WithRSAEncryption, NID_sha384WithRSAEncryption,
	NID_sha512WithRSAEncryption, NID_rsassaPss, NID_ecdsa_with_SHA256,
	NID_ecdsa_with_SHA384, NID_ecdsa_with_SHA512, NID_ED25519,
};

/*
 * RSASSA-PSS parameters (RFC 4055 3.1) as RFC 9481 2.1.2 profiles them:
 * SHA-256, SHA-384 or SHA-512, MGF1 with the same hash, a salt at least
 * as long as the hash, trailer 1. libcrypto verifies with whatever hash
 * the parameters name, SHA-1 and MD5 included, and absent parameters mean
 * SHA-1 (RFC 4055 3.1). 1 acceptable, 0 not.
 */
static int
sig_pss_ok(const X509_ALGOR *alg)
{
	static const int hashes[] = { NID_sha256, NID_sha384, NID_sha512 };
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf_md = NULL;
	const EVP_MD *md;
	int nid, r = 0;

	if (alg->parameter == NULL ||
	    alg->parameter->type != V_ASN1_SEQUENCE ||
	    (pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS),
	    alg->parameter)) == NULL)
		goto out;
	if (pss->hashAlgorithm == NULL || pss->maskGenAlgorithm == NULL ||
	    pss->saltLength == NULL)
		goto out;		/* SHA-1, MGF1 with SHA-1, 20 */
	nid = OBJ_obj2nid(pss->hashAlgorithm->algorithm);
	if (!nid_in(nid, hashes, NITEMS(hashes)) ||
	    (md = EVP_get_digestbynid(nid)) == NULL ||
	    OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1 ||
	    pss->maskGenAlgorithm->parameter == NULL ||
	    pss->maskGenAlgorithm->parameter->type != V_ASN1_SEQUENCE ||
	    (mgf_md = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
	    pss->maskGenAlgorithm->parameter)) == NULL ||
	    OBJ_obj2nid(mgf_md->algorithm) != nid ||
	    ASN1_INTEGER_get(pss->saltLength) < EVP_MD_get_size(md) ||
	    (pss->trailerField != NULL &&
	    ASN1_INTEGER_get(pss->trailerField) != 1))
		goto out;
	r = 1;
 out:
	X509_ALGOR_free(mgf_md);
	RSA_PSS_PARAMS_free(pss);
	ERR_clear_error();
	return r;
}

/*
 * The security level a signer's chain must meet (OpenSSL's auth_level,
 * in bits of security as NIST SP 800-57 counts them): every key of it,
 * the anchor's included, and every signature on its certificates but
 * the anchor's own. 2 (112 bits) refuses RSA keys under 2048 bits, EC
 * keys under 224 and SHA-1 signatures.
 */
static int sig_level = 2;

void
cmp_protect_sig_level(int level)
{
	sig_level = level;
}

/*
 * Revocation lists are applied where they exist: a certificate whose
 * issuer published none of the uploaded CRLs is not refused for that
 * (cmpd's inventory still speaks for it); every other CRL failure, an
 * expired CRL or a bad CRL signature included, refuses the chain.
 */
static int
sig_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_UNABLE_TO_GET_CRL)
		return 1;
	return ok;
}

/* The same, and the signer's own revocation does not count
 * (CMP_SIG_LEAF_REVOKED_OK); a CA certificate's still does. */
static int
sig_verify_leaf_cb(int ok, X509_STORE_CTX *ctx)
{
	if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CERT_REVOKED &&
	    X509_STORE_CTX_get_error_depth(ctx) == 0)
		return 1;
	return sig_verify_cb(ok, ctx);
}

/*
 * Verifies a signature-protected request: extraCerts[0] is the
 * protection certificate; its chain, built from extraCerts, the
 * intermediates cmpd knows (known: the RA Profile's CA chain, so that a
 * client need not send the chain of a certificate cmpd issued) and the
 * profile's trust anchors, must validate now, and no certificate of it
 * may be revoked in the CRLs uploaded with the anchors; its key usage
 * must allow signing; senderKID, when present, must be its
 * subjectKeyIdentifier and the sender its subject. *chain (when not
 * NULL) gets the validated chain, signer first, on success. A chain
 * validated on the very same inputs is taken as it was while nothing
 * of it expired or came due (chain_memo.c); the message's signature is
 * checked every time.
 *
 * known_down: the CA's chain could not be had for now (the CA too slow
 * or unreachable). A chain that then lacks an issuer is not a verdict:
 * the missing certificate may be the CA's, and the client is told to
 * try again (CMPF_SIGNER_CHAIN_UNAVAILABLE), not that its certificate
 * is untrusted. Any other failure of the chain stands.
 *
 * flags: CMP_SIG_LEAF_REVOKED_OK, a CRL that lists the signer itself
 * does not refuse it (the pollReq of its own waiting rr); every other
 * check, the CRLs of its CA certificates included, stands. A chain so
 * validated is not remembered: it would pass a request that may not
 * be excused.
 */
enum cmp_fail
cmp_protect_sig_verify(const CMPD_MSG *m, STACK_OF(X509) *anchors,
    STACK_OF(X509_CRL) *crls, STACK_OF(X509) *known, int known_down,
    int flags, STACK_OF(X509) **chain, char *arg, size_t arglen)
{
	const CMPD_HEADER *h = m->header;
	const ASN1_OCTET_STRING *ski;
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *store = NULL;
	STACK_OF(X509) *untrusted = NULL, *memo;
	struct chain_memo_key key;
	CMPD_PROTECTEDPART pp;
	time_t now, until;
	EVP_MD_CTX *vctx = NULL;
	EVP_PKEY *pkey;
	X509 *signer;
	enum cmp_fail f;
	int i, nid, err;

	arg[0] = '\0';
	if (chain != NULL)
		*chain = NULL;
	nid = OBJ_obj2nid(h->protectionAlg->algorithm);
	if (!nid_in(nid, sig_alg_ok, NITEMS(sig_alg_ok))) {
		OBJ_obj2txt(arg, (int)arglen, h->protectionAlg->algorithm, 0);
		return CMPF_PROTECTION_ALG_UNKNOWN;
	}
	if (nid == NID_rsassaPss && !sig_pss_ok(h->protectionAlg)) {
		snprintf(arg, arglen, "RSASSA-PSS other than with SHA-2, MGF1 "
		    "of the same hash and a salt of its length");
		return CMPF_PROTECTION_ALG_UNKNOWN;
	}
	if (m->extraCerts == NULL || sk_X509_num(m->extraCerts) < 1)
		return CMPF_NO_SIGNER_CERT;
	signer = sk_X509_value(m->extraCerts, 0);
	if ((pkey = X509_get0_pubkey(signer)) == NULL)
		return CMPF_NO_SIGNER_CERT;
	/* The signature first: a message anyone could have made up is
	 * not worth a chain validation. */
	pp.header = m->header;
	pp.body = m->body;
	f = CMPF_SIGNATURE_INVALID;
	/* through the worker's context for this signer's key when it has
	 * one (key_memo.c): the same checks as ASN1_item_verify */
	if ((vctx = key_memo_verify_ctx(pkey)) != NULL ?
	    ASN1_item_verify_ctx(ASN1_ITEM_rptr(CMPD_PROTECTEDPART),
	    h->protectionAlg, m->protection, &pp, vctx) != 1 :
	    ASN1_item_verify(ASN1_ITEM_rptr(CMPD_PROTECTEDPART),
	    h->protectionAlg, m->protection, &pp, pkey) != 1)
		goto out;
	f = CMPF_SIGNER_MISMATCH;
	if ((ski = X509_get0_subject_key_id(signer)) != NULL &&
	    h->senderKID != NULL && ASN1_OCTET_STRING_cmp(ski,
	    h->senderKID) != 0)
		goto out;
	if (h->sender->type != GEN_DIRNAME ||
	    X509_NAME_cmp(h->sender->d.directoryName,
	    X509_get_subject_name(signer)) != 0)
		goto out;
	if ((X509_get_extension_flags(signer) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(signer) & KU_DIGITAL_SIGNATURE))
		goto out;
	f = CMPF_SIGNER_NOT_TRUSTED;
	if (anchors == NULL || sk_X509_num(anchors) == 0)
		goto out;
	/* Only untrusted helpers: trust comes from the anchors alone, and
	 * the CA's self-signed certificates are not even offered. */
	if ((untrusted = X509_chain_up_ref(m->extraCerts)) == NULL ||
	    (known != NULL && !X509_add_certs(untrusted, known,
	    X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP |
	    X509_ADD_FLAG_NO_SS)))
		goto out;
	/* The same chain on the same inputs, validated earlier. */
	key.signer = signer;
	key.untrusted = untrusted;
	key.anchors = anchors;
	key.crls = crls;
	now = time(NULL);
	if ((memo = chain_memo_find(&key, now, &until)) != NULL) {
		log_debug("signer chain as validated before, for %lld s more",
		    (long long)(until - now));
		if (chain != NULL)
			*chain = memo;
		else
			sk_X509_pop_free(memo, X509_free);
		f = CMPF_OK;
		goto out;
	}
	if ((store = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL)
		goto out;
	for (i = 0; i < sk_X509_num(anchors); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(anchors, i)))
			goto out;
	if (!X509_STORE_CTX_init(ctx, store, signer, untrusted))
		goto out;
	/* at the moment the memo counts from */
	X509_STORE_CTX_set_time(ctx, 0, now);
	X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(ctx),
	    sig_level);
	if (crls != NULL && sk_X509_CRL_num(crls) > 0) {
		/* Every certificate of the chain, not only the signer. */
		X509_STORE_CTX_set0_crls(ctx, crls);
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK |
		    X509_V_FLAG_CRL_CHECK_ALL);
		X509_STORE_CTX_set_verify_cb(ctx,
		    flags & CMP_SIG_LEAF_REVOKED_OK ? sig_verify_leaf_cb :
		    sig_verify_cb);
	}
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		if (err == X509_V_ERR_CERT_REVOKED)
			f = X509_STORE_CTX_get_error_depth(ctx) == 0 ?
			    CMPF_SIGNER_REVOKED : CMPF_SIGNER_CA_REVOKED;
		if (known_down && (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
		    err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
		    err == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE))
			f = CMPF_SIGNER_CHAIN_UNAVAILABLE;
		snprintf(arg, arglen, "%s", X509_verify_cert_error_string(err));
		goto out;
	}
	if ((memo = X509_STORE_CTX_get1_chain(ctx)) == NULL)
		goto out;
	if (!(flags & CMP_SIG_LEAF_REVOKED_OK))
		chain_memo_add(&key, memo, now);
	if (chain != NULL)
		*chain = memo;
	else
		sk_X509_pop_free(memo, X509_free);
	f = CMPF_OK;
 out:
	key_memo_ctx_free(vctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
	ERR_clear_error();
	return f;
}

/*
 * Who sent a request, as far as its protection tells (valid once the
 * protection verified): the SHA-256 of the protection certificate, or
 * the senderKID of a MAC. What a transaction's follow-up messages must
 * match (DESIGN invariant 2).
 */
int
cmp_protect_requester(const CMPD_MSG *m, struct cmp_requester *who)
{
	const ASN1_OCTET_STRING *kid = m->header->senderKID;
	unsigned int n = 0;

	memset(who, 0, sizeof(*who));
	if (cmp_msg_prot_method(m->header, &who->method) != 0)
		return -1;
	if (who->method == PROT_SIGNATURE) {
		if (m->extraCerts == NULL || sk_X509_num(m->extraCerts) < 1 ||
		    !X509_digest(sk_X509_value(m->extraCerts, 0), EVP_sha256(),
		    who->cert_hash, &n) || n != sizeof(who->cert_hash))
			return -1;
		return 0;
	}
	if (kid == NULL)
		return 0;
	/* a senderKID longer than the column is kept as its SHA-256 */
	if ((size_t)ASN1_STRING_length(kid) > sizeof(who->kid)) {
		if (!EVP_Digest(ASN1_STRING_get0_data(kid),
		    (size_t)ASN1_STRING_length(kid), who->kid, &n, EVP_sha256(),
		    NULL))
			return -1;
		who->kid_len = n;
		return 0;
	}
	who->kid_len = (size_t)ASN1_STRING_length(kid);
	memcpy(who->kid, ASN1_STRING_get0_data(kid), who->kid_len);
	return 0;
}

/* The same requester: same method, same certificate or same senderKID. */
int
cmp_protect_requester_eq(const struct cmp_requester *a,
    const struct cmp_requester *b)
{
	if (a->method != b->method)
		return 0;
	if (a->method == PROT_SIGNATURE)
		return CRYPTO_memcmp(a->cert_hash, b->cert_hash,
		    sizeof(a->cert_hash)) == 0;
	return a->kid_len == b->kid_len &&
	    CRYPTO_memcmp(a->kid, b->kid, a->kid_len) == 0;
}

/*
 * Signs an answer (RFC 9810 5.1.3.3): sender = the signing certificate's
 * subject, senderKID = its subjectKeyIdentifier, extraCerts = the signing
 * certificate and its chain without self-signed certificates (RFC 9483
 * 3.3: they SHOULD be omitted, and a client must not trust them for
 * being there; the client has its root already).
 */
int
cmp_protect_sig(CMPD_MSG *rsp, EVP_PKEY *key, X509 *cert,
    STACK_OF(X509) *chain)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
	const EVP_MD *md = NULL;
	EVP_MD_CTX *ctx = NULL;
	CMPD_PROTECTEDPART pp;
	CMPD_HEADER *h = rsp->header;
	STACK_OF(X509) *extra = NULL;
	GENERAL_NAME *sender;
	X509_NAME *subject;
	int i, r = -1;

	/* A new GENERAL_NAME: set0 on the old one would leak its name. */
	if ((subject = X509_NAME_dup(X509_get_subject_name(cert))) == NULL ||
	    (sender = GENERAL_NAME_new()) == NULL) {
		X509_NAME_free(subject);
		goto out;
	}
	GENERAL_NAME_set0_value(sender, GEN_DIRNAME, subject);
	GENERAL_NAME_free(h->sender);
	h->sender = sender;
	ASN1_OCTET_STRING_free(h->senderKID);
	h->senderKID = NULL;
	if (ski != NULL && (h->senderKID = ASN1_OCTET_STRING_dup(ski)) == NULL)
		goto out;
	/* The signing certificate first (RFC 9810 5.1.3.3), its chain short
	 * of the root, then what the body's handler put there (3GPP: the CA
	 * chain with the operator root, TS 33.310 9.5), once each. */
	if ((extra = sk_X509_new_null()) == NULL ||
	    !X509_add_cert(extra, cert, X509_ADD_FLAG_UP_REF))
		goto out;
	for (i = 0; i < sk_X509_num(chain); i++)
		if (!X509_add_cert(extra, sk_X509_value(chain, i),
		    X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_SS))
			goto out;
	for (i = 0; i < sk_X509_num(rsp->extraCerts); i++) {
		X509 *x = sk_X509_value(rsp->extraCerts, i);

		if (!X509_add_cert(extra, x, X509_ADD_FLAG_UP_REF |
		    X509_ADD_FLAG_NO_DUP))
			goto out;
	}
	sk_X509_pop_free(rsp->extraCerts, X509_free);
	rsp->extraCerts = extra;
	extra = NULL;
	/* SHA-256 for RSA and P-256, SHA-384 for P-384, none for Ed25519. */
	if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
		md = EVP_PKEY_get_bits(key) == 384 ? EVP_sha384() :
		    EVP_sha256();
	X509_ALGOR_free(h->protectionAlg);
	if ((h->protectionAlg = X509_ALGOR_new()) == NULL)
		goto out;
	ASN1_BIT_STRING_free(rsp->protection);
	if ((rsp->protection = ASN1_BIT_STRING_new()) == NULL)
		goto out;
	pp.header = h;
	pp.body = rsp->body;
	/* ASN1_item_sign(_ctx) fills protectionAlg before it signs the
	 * header that contains it; from the worker's context for this key
	 * when it has one (key_memo.c). */
	if ((ctx = key_memo_sign_ctx(key, md)) != NULL ?
	    ASN1_item_sign_ctx(ASN1_ITEM_rptr(CMPD_PROTECTEDPART),
	    h->protectionAlg, NULL, rsp->protection, &pp, ctx) <= 0 :
	    ASN1_item_sign(ASN1_ITEM_rptr(CMPD_PROTECTEDPART), h->protectionAlg,
	    NULL, rsp->protection, &pp, key, md) <= 0)
		goto out;
	r = 0;
 out:
	EVP_MD_CTX_free(ctx);
	sk_X509_pop_free(extra, X509_free);
	ERR_clear_error();
	return r;
}
