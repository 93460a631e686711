/*
 * Message protection (RFC 9810 5.1.3) with a shared secret, PBM (RFC
 * 4211 4.4, RFC 9481 6.1.1) or PBMAC1 (RFC 8018 7.1, RFC 9481 6.1.3),
 * and who sent a request as its protection tells; signatures are
 * cmp_protect_sig.c's. A request's PBM is verified with libcrypto's
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
#include <openssl/x509.h>

#include "cmpd.h"
#include "mac_memo.h"

#define PBM_ITERATIONS_MIN	100	/* RFC 4211 4.4 */
/* OSSL_CRMF_pbm_new() computes no more (libcrypto 3.0's private
 * OSSL_CRMF_PBM_MAX_ITERATION_COUNT): a PBM asking for more is refused
 * for its parameters whatever pbm_iterations_max, not taken for a wrong
 * MAC. */
#define PBM_ITERATIONS_LIB	100000
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
	    util_nid_in(mp->mac_nid, pbm_mac_ok, NITEMS(pbm_mac_ok))) {
		fail = CMPF_PBM_LEGACY;
		goto out;
	}
	if (!(util_nid_in(mp->owf_nid, pbm_owf_ok, NITEMS(pbm_owf_ok)) ||
	    (legacy && mp->owf_nid == NID_sha1)) ||
	    !util_nid_in(mp->mac_nid, pbm_mac_ok, NITEMS(pbm_mac_ok))) {
		snprintf(arg, arglen, "owf %s, mac %s",
		    OBJ_nid2sn(mp->owf_nid), OBJ_nid2sn(mp->mac_nid));
		goto out;
	}
	iter = ASN1_INTEGER_get(f->iterationCount);
	if (max_iter > PBM_ITERATIONS_LIB)
		max_iter = PBM_ITERATIONS_LIB;
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
 * as messageAuthScheme (RFC 9481 6.1.3). The cap bounds the work:
 * PBKDF2 runs iterationCount HMACs for each block of the prf's output
 * that keyLength asks for (RFC 8018 5.2), and it runs before the sender
 * is known, so iterationCount times the blocks stays within it.
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
	int ptype, nid, prf_len;
	long iter, klen, blocks;

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
	prf_len = EVP_MD_get_size(EVP_get_digestbyname(mp->prf_md));
	blocks = prf_len > 0 ? (klen + prf_len - 1) / prf_len : 1;
	if (iter > max_iter / blocks) {
		snprintf(arg, arglen, "iterationCount %ld for a keyLength of "
		    "%ld blocks of the prf's output: over %ld", iter, blocks,
		    max_iter);
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
	int other;

	arg[0] = '\0';
	if ((f = mac_params(m->header, max_iter, legacy, &mp, arg,
	    arglen)) != CMPF_OK)
		goto out;
	f = CMPF_SENDER_KID_MISSING;
	if (kid == NULL || ASN1_STRING_length(kid) == 0)
		goto out;
	/* The same answer for a wrong reference as for a wrong MAC, after
	 * the same MAC work: no oracle, by answer or by time, for which
	 * references exist (a senderKID of no device entry ends here when
	 * the profile's secret is the fallback, cmp_device.c). */
	f = CMPF_MAC_MISMATCH;
	other = reference != NULL &&
	    ((size_t)ASN1_STRING_length(kid) != strlen(reference) ||
	    memcmp(ASN1_STRING_get0_data(kid), reference, strlen(reference)));
	if (mac_compute(m, &mp, secret, slen, &mac, &maclen) != 0 || other)
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
 * Who sent a request, as far as its protection tells (valid once the
 * protection verified, p's device_uuid set by it): the SHA-256 of the
 * protection certificate, or the senderKID of a MAC and the secret that
 * verified it (a device entry's or the profile's). What a transaction's
 * follow-up messages must match (DESIGN invariant 2).
 */
int
cmp_protect_requester(const CMPD_MSG *m, const struct profile *p,
    struct cmp_requester *who)
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
	snprintf(who->device, sizeof(who->device), "%s", p->device_uuid);
	who->device_known = 1;
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

/*
 * The same requester: same method, same certificate, or same senderKID
 * and secret (where both record the secret).
 */
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
	    CRYPTO_memcmp(a->kid, b->kid, a->kid_len) == 0 &&
	    (!a->device_known || !b->device_known ||
	    strcmp(a->device, b->device) == 0);
}
