/*
 * The file-based CA's CRLs (RFC 5280 5): a full CRL of every certificate
 * it revoked, and the revocation reasons of the connector API as CRL
 * reason codes (RFC 5280 5.3.1).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "localca.h"

/* The connector API's revocation reasons, as CRLReason (RFC 5280 5.3.1). */
static const struct {
	const char *name;
	int	 code;
} reasons[] = {
	{ "unspecified", CRL_REASON_UNSPECIFIED },
	{ "keyCompromise", CRL_REASON_KEY_COMPROMISE },
	{ "cACompromise", CRL_REASON_CA_COMPROMISE },
	{ "affiliationChanged", CRL_REASON_AFFILIATION_CHANGED },
	{ "superseded", CRL_REASON_SUPERSEDED },
	{ "cessationOfOperation", CRL_REASON_CESSATION_OF_OPERATION },
	{ "certificateHold", CRL_REASON_CERTIFICATE_HOLD },
	{ "privilegeWithdrawn", CRL_REASON_PRIVILEGE_WITHDRAWN },
	{ "aACompromise", CRL_REASON_AA_COMPROMISE },
};

/* The canonical spelling of a revocation reason; NULL if unknown. */
const char *
lca_ca_reason_name(const char *name)
{
	size_t i;

	for (i = 0; i < NITEMS(reasons); i++)
		if (strcasecmp(name, reasons[i].name) == 0)
			return reasons[i].name;
	return NULL;
}

static int
lca_reason_code(const char *name)
{
	size_t i;

	for (i = 0; i < NITEMS(reasons); i++)
		if (strcmp(name, reasons[i].name) == 0)
			return reasons[i].code;
	return CRL_REASON_UNSPECIFIED;
}

struct lca_crl_ctx {
	const struct lca_ca *ca;
	X509_CRL *crl;
};

/*
 * One revoked certificate into the CRL (lca_db_revoked callback). The
 * table may hold certificates of another CA (a new ca_dir, or two
 * instances sharing a database): those are not ours to list. A row
 * that does not decode, or whose signature cannot be checked at all
 * (X509_verify() -1: out of memory, say), fails the CRL: one that
 * silently left out a revoked certificate would say it is valid.
 */
static int
lca_crl_add(void *arg, const char *serial_hex, time_t revoked_at,
    const char *reason, const unsigned char *der, size_t len)
{
	struct lca_crl_ctx *ctx = arg;
	const unsigned char *p = der;
	X509_REVOKED *rev = NULL;
	X509 *x = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_ENUMERATED *code = NULL;
	ASN1_TIME *when = NULL;
	BIGNUM *bn = NULL;
	int c, r = -1;

	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len) {
		log_error("crl: revoked certificate %s does not decode; no "
		    "CRL without it", serial_hex);
		goto out;
	}
	if (X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(ctx->ca->cert)) != 0 ||
	    (c = X509_verify(x, ctx->ca->key)) == 0) {
		ERR_clear_error();
		r = 0;
		goto out;
	}
	if (c < 0) {
		log_error("crl: the signature of revoked certificate %s "
		    "cannot be checked; no CRL without it", serial_hex);
		goto out;
	}
	if (BN_hex2bn(&bn, serial_hex) == 0 ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (when = ASN1_TIME_set(NULL, revoked_at)) == NULL ||
	    (rev = X509_REVOKED_new()) == NULL ||
	    X509_REVOKED_set_serialNumber(rev, serial) != 1 ||
	    X509_REVOKED_set_revocationDate(rev, when) != 1)
		goto out;
	/* RFC 5280 5.3.1: leave reasonCode out rather than say unspecified. */
	c = lca_reason_code(reason);
	if (c != CRL_REASON_UNSPECIFIED &&
	    ((code = ASN1_ENUMERATED_new()) == NULL ||
	    ASN1_ENUMERATED_set(code, c) != 1 ||
	    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, code, 0, 0) != 1))
		goto out;
	if (X509_CRL_add0_revoked(ctx->crl, rev) != 1)
		goto out;
	rev = NULL;
	r = 0;
 out:
	X509_free(x);
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(serial);
	ASN1_ENUMERATED_free(code);
	ASN1_TIME_free(when);
	BN_free(bn);
	return r;
}

/* A full CRL of every certificate revoked (RFC 5280 5), but those
 * expired over a crl_period ago. */
int
lca_ca_crl(const struct lca_ca *ca, X509_CRL **out, struct lca_err *e)
{
	struct lca_crl_ctx ctx;
	AUTHORITY_KEYID *akid = NULL;
	ASN1_INTEGER *number = NULL;
	ASN1_TIME *t = NULL;
	X509_CRL *crl = NULL;
	struct timespec ts;
	time_t now;
	uint64_t n = 0;
	int rc, r = -1;

	*out = NULL;
	/* RFC 5280 5.1.2.1: v2, there are extensions. */
	if ((crl = X509_CRL_new()) == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(ca->cert)) != 1) {
		lca_fail(e, 500, "cannot build the CRL");
		goto out;
	}
	ctx.ca = ca;
	ctx.crl = crl;
	/*
	 * RFC 5280 5.2.3: the CRL number increases. The database gives it,
	 * with the revocations read under its lock, so that a later number
	 * lists every revocation an earlier one does, from any cmp-localca
	 * on the table, whatever its clock. Not below the time in
	 * microseconds, the numbers given before the table kept them.
	 */
	/* RFC 5280 3.3: an entry stays until a CRL issued after its
	 * certificate expired lists it; here, for a crl_period after the
	 * expiry, as long as a CRL issued then is current. */
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((rc = lca_db_revoked((uint64_t)ts.tv_sec * 1000000 +
	    (uint64_t)ts.tv_nsec / 1000, ts.tv_sec - ca->crl_period, &n,
	    lca_crl_add, &ctx)) != LCA_DB_OK) {
		if (rc == LCA_DB_ERR)
			lca_fail(e, 503, "database unavailable");
		else
			lca_fail(e, 500, "cannot build the CRL");
		goto out;
	}
	/* RFC 5280 5.1.2.4: issued now, once its number and revocations
	 * are had: a CRL that waited for them (the lock, a reconnect) is
	 * not dated before what it lists, nor before a CRL of a lower
	 * number that did not wait. */
	now = time(NULL);
	if ((t = ASN1_TIME_set(NULL, now)) == NULL ||
	    X509_CRL_set1_lastUpdate(crl, t) != 1 ||
	    ASN1_TIME_set(t, now + ca->crl_period) == NULL ||
	    X509_CRL_set1_nextUpdate(crl, t) != 1) {
		lca_fail(e, 500, "cannot build the CRL");
		goto out;
	}
	/* RFC 5280 5.2.1: conforming CAs include the AKI. */
	if (X509_CRL_sort(crl) != 1 ||
	    (number = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set_uint64(number, n) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) != 1 ||
	    (akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(ca->keyid)) == NULL ||
	    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0,
	    0) != 1) {
		lca_fail(e, 500, "cannot build the CRL");
		goto out;
	}
	if (X509_CRL_sign(crl, ca->key, ca->md) <= 0) {
		log_error("CRL signing failed: %s", lca_ssl_reason());
		lca_fail(e, 500, "cannot sign the CRL");
		goto out;
	}
	*out = crl;
	crl = NULL;
	r = 0;
 out:
	AUTHORITY_KEYID_free(akid);
	ASN1_INTEGER_free(number);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return r;
}
