/*
 * cmp-localca: the connector API's handlers, one per route: issue,
 * renew, revoke and lookup certificates, hand out the CA certificates
 * and a CRL. Each takes the request's JSON object and gives back the
 * answer's, or fills a struct lca_err.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "localca.h"

/* {"certificateData": base64 DER} */
static json_object *
lca_cert_json(X509 *x)
{
	unsigned char *der = NULL;
	json_object *o;
	int len;

	if ((len = i2d_X509(x, &der)) <= 0 ||
	    (o = json_object_new_object()) == NULL) {
		OPENSSL_free(der);
		return NULL;
	}
	if (lca_json_add(o, "certificateData", lca_b64_json(der, len)) != 0) {
		json_object_put(o);
		o = NULL;
	}
	OPENSSL_free(der);
	return o;
}

/*
 * An issued certificate's certificateData as certificate_form says: base64
 * DER, the v2 API's form; for tests of cmpd, as other connectors send it:
 * base64 of a PKCS#7 SignedData holding it and the CA's chain (EJBCA's
 * PKCS7WITHCHAIN), or PEM text of the certificate and the chain.
 */
static json_object *
lca_issued_data(const struct lca_http *h, const unsigned char *der, int len)
{
	const unsigned char *p = der;
	unsigned char *p7der = NULL;
	json_object *o = NULL;
	PKCS7 *p7 = NULL;
	BIO *b = NULL;
	X509 *x = NULL;
	char *text;
	long n;
	int i, ok;

	if (h->conf->cert_form == LCA_FORM_DER)
		return lca_b64_json(der, len);
	if ((x = d2i_X509(NULL, &p, len)) == NULL)
		goto out;
	if (h->conf->cert_form == LCA_FORM_PKCS7) {
		ok = (p7 = PKCS7_new()) != NULL &&
		    PKCS7_set_type(p7, NID_pkcs7_signed) &&
		    PKCS7_content_new(p7, NID_pkcs7_data) &&
		    PKCS7_add_certificate(p7, x);
		for (i = 0; ok && i < sk_X509_num(h->ca->chain); i++)
			ok = PKCS7_add_certificate(p7, sk_X509_value(
			    h->ca->chain, i));
		if (ok && PKCS7_add_certificate(p7, h->ca->cert) &&
		    (n = i2d_PKCS7(p7, &p7der)) > 0)
			o = lca_b64_json(p7der, (int)n);
		goto out;
	}
	ok = (b = BIO_new(BIO_s_mem())) != NULL && PEM_write_bio_X509(b, x) &&
	    PEM_write_bio_X509(b, h->ca->cert);
	for (i = 0; ok && i < sk_X509_num(h->ca->chain); i++)
		ok = PEM_write_bio_X509(b, sk_X509_value(h->ca->chain, i));
	if (ok && (n = BIO_get_mem_data(b, &text)) > 0)
		o = json_object_new_string_len(text, (int)n);
 out:
	BIO_free(b);
	PKCS7_free(p7);
	OPENSSL_free(p7der);
	X509_free(x);
	return o;
}

/*
 * The "meta" of an issue or renew answer: the certificate's serial as a
 * metadata attribute (the v2 API's MetadataAttribute), which a caller
 * keeps and sends back with the certificate's renewal, as CZERTAINLY
 * Core does.
 */
#define LCA_META_NAME	"localcaSerial"
static json_object *
lca_meta_json(const char *serial_hex)
{
	json_object *a, *m, *c, *d;

	if ((a = json_object_new_array()) == NULL)
		return NULL;
	if ((m = json_object_new_object()) == NULL ||
	    json_object_array_add(a, m) != 0) {
		json_object_put(m);
		json_object_put(a);
		return NULL;
	}
	if (lca_json_add(m, "name", json_object_new_string(LCA_META_NAME)) !=
	    0 || lca_json_add(m, "type", json_object_new_string("meta")) != 0 ||
	    lca_json_add(m, "contentType", json_object_new_string("string")) !=
	    0 || (c = json_object_new_array()) == NULL ||
	    lca_json_add(m, "content", c) != 0 ||
	    (d = json_object_new_object()) == NULL ||
	    json_object_array_add(c, d) != 0 ||
	    lca_json_add(d, "data", json_object_new_string(serial_hex)) != 0) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

/* What a renew's "meta" says of the certificate it renews, for the log:
 * "old" when it names its serial, "other", or "none". */
static const char *
lca_meta_names(json_object *in, const char *old_serial)
{
	json_object *meta, *m, *v, *c;
	size_t i;

	if (!json_object_object_get_ex(in, "meta", &meta) ||
	    json_object_array_length(meta) == 0)
		return "none";
	for (i = 0; i < json_object_array_length(meta); i++) {
		m = json_object_array_get_idx(meta, i);
		if (json_object_object_get_ex(m, "name", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), LCA_META_NAME) == 0 &&
		    json_object_object_get_ex(m, "content", &c) &&
		    json_object_is_type(c, json_type_array) &&
		    (c = json_object_array_get_idx(c, 0)) != NULL &&
		    json_object_object_get_ex(c, "data", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), old_serial) == 0)
			return "old";
	}
	return "other";
}

/* --------------------------------------------------------- handlers */

/*
 * A certificate this CA issued and recorded: its serial in serial_hex,
 * its state in *state.
 */
static int
lca_known_cert(struct lca_http *h, json_object *in, char *serial_hex,
    size_t n, enum lca_cert_state *state, struct lca_err *e)
{
	struct lca_cert_row row;
	unsigned char *der = NULL;
	const char *s;
	size_t len = 0;
	X509 *x = NULL;
	int rc, r = -1;

	if (lca_json_string(in, "certificate", &s, e) != 0 ||
	    lca_b64_decode(s, "certificate", &der, &len, e) != 0 ||
	    lca_ca_check_issued(h->ca, der, len, &x, e) != 0)
		goto out;
	memset(&row, 0, sizeof(row));
	if (lca_ca_describe(x, &row) != 0) {
		lca_fail(e, 422, "unknown certificate");
		goto out;
	}
	rc = lca_db_lookup(row.serial_hex, der, len, state);
	if (rc == LCA_DB_ERR) {
		lca_fail(e, 503, "database unavailable");
		goto out;
	}
	if (rc != LCA_DB_OK) {
		lca_fail(e, 422, "unknown certificate");
		goto out;
	}
	snprintf(serial_hex, n, "%s", row.serial_hex);
	r = 0;
 out:
	X509_free(x);
	free(der);
	return r;
}

#define LCA_REQUEST_ID_MAX	64

/*
 * The optional "requestId" of issue, renew and lookup: 1 to 64 letters,
 * digits and '-' (a UUID as cmpd sends it). *out NULL when absent.
 */
static int
lca_request_id(json_object *in, int required, const char **out,
    struct lca_err *e)
{
	json_object *v = NULL;
	const char *s;
	size_t n;

	*out = NULL;
	if (!json_object_object_get_ex(in, "requestId", &v) || v == NULL) {
		if (required)
			return lca_fail(e, 422, "requestId is required");
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return lca_fail(e, 422, "requestId must be a string");
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n > LCA_REQUEST_ID_MAX || strlen(s) != n ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-") != n)
		return lca_fail(e, 422, "requestId must be 1 to %d letters, "
		    "digits or '-'", LCA_REQUEST_ID_MAX);
	*out = s;
	return 0;
}

/*
 * issue_pending: {requestId, status: "pending"}, HTTP 202 (doc/api.md,
 * delayed delivery): the caller asks /certificates/lookup later.
 */
static int
lca_pending(struct lca_http *h, const char *request_id, json_object **out,
    struct lca_err *e)
{
	json_object *o;

	if ((o = json_object_new_object()) == NULL ||
	    lca_json_add(o, "requestId", json_object_new_string(request_id)) !=
	    0 || lca_json_add(o, "status", json_object_new_string("pending")) !=
	    0) {
		json_object_put(o);
		return lca_fail(e, 500, "out of memory");
	}
	h->reply_status = 202;
	snprintf(h->detail, sizeof(h->detail), " requestId=%s pending",
	    request_id);
	*out = o;
	return 0;
}

/* Issued less than issue_pending seconds ago: not handed out yet. */
static int
lca_is_pending(const struct lca_http *h, time_t created)
{
	return h->conf->issue_pending > 0 &&
	    created + h->conf->issue_pending > time(NULL);
}

/*
 * The answer for a certificate issued earlier for request_id, or
 * LCA_DB_NOTFOUND, or LCA_DB_VOID when a lookup found nothing for it
 * (lca_db_void). sha256 (NULL: any) is the request's now: another
 * request under the same id is refused. *pending: issued, but still
 * pending (issue_pending); *out is then NULL.
 */
static int
lca_issued_for(struct lca_http *h, const char *request_id,
    const unsigned char *sha256, json_object **out, int *pending,
    struct lca_err *e)
{
	char uuid[LCA_UUID_LEN + 1];
	time_t created = 0;
	unsigned char *der = NULL, stored[32];
	size_t len = 0;
	json_object *o = NULL;
	int rc, r = -1;

	*out = NULL;
	*pending = 0;
	rc = lca_db_by_request(request_id, &created, uuid, &der, &len, stored);
	if (rc == LCA_DB_NOTFOUND || rc == LCA_DB_VOID)
		return rc;
	if (rc != LCA_DB_OK) {
		lca_fail(e, 503, "database unavailable");
		goto out;
	}
	if (sha256 != NULL && memcmp(sha256, stored, 32) != 0) {
		lca_fail(e, 422, "requestId was used for another request");
		goto out;
	}
	if (lca_is_pending(h, created)) {
		*pending = 1;
		r = 0;
		goto out;
	}
	if ((o = json_object_new_object()) == NULL ||
	    lca_json_add(o, "certificateData", lca_issued_data(h, der,
	    (int)len)) != 0 ||
	    lca_json_add(o, "uuid", json_object_new_string(uuid)) != 0 ||
	    lca_json_add(o, "meta", json_object_new_array()) != 0) {
		lca_fail(e, 500, "out of memory");
		goto out;
	}
	snprintf(h->detail, sizeof(h->detail), " uuid=%s requestId=%s "
	    "issued_before", uuid, request_id);
	*out = o;
	o = NULL;
	r = 0;
 out:
	json_object_put(o);
	free(der);
	return r;
}

/* An issue or renew under a request id that a lookup answered "found
 * false" for: its caller settled the request as one nothing was issued
 * for, so nothing is. */
static int
lca_voided(struct lca_err *e)
{
	return lca_fail(e, 409, "requestId was looked up and found unissued: "
	    "nothing is issued for it any more");
}

/* Tests only (issue_delay_ms, sign_delay_ms, revoke_delay_ms,
 * ca_delay_ms): a CA slower than its client's timeout. */
void
lca_delay(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !lca_stop)
		;
}

/*
 * issue and renew: {request, format, requestId?, ...} -> {certificateData,
 * uuid, meta}. With a requestId a repeated request gets the certificate
 * issued for it the first time (idempotent issue).
 */
static int
lca_issue(struct lca_http *h, json_object *in, int renew, json_object **out,
    struct lca_err *e)
{
	static const char *const lists[] = { "attributes",
	    "raProfileAttributes", "meta" };
	char old_serial[LCA_SERIAL_HEX_MAX + 1];
	enum lca_cert_state state;
	struct lca_cert_row row;
	enum lca_format fmt;
	unsigned char *req = NULL, *der = NULL;
	const char *req_s, *fmt_s, *rid;
	size_t req_len = 0;
	json_object *o = NULL, *rv = NULL;
	X509 *x = NULL;
	int len, rc, pending = 0, r = -1;

	*out = NULL;
	if (lca_json_lists(in, lists, NITEMS(lists), e) != 0 ||
	    lca_json_string(in, "request", &req_s, e) != 0 ||
	    lca_json_string(in, "format", &fmt_s, e) != 0 ||
	    lca_request_id(in, 0, &rid, e) != 0)
		goto out;
	if (strcmp(fmt_s, "crmf") == 0)
		fmt = LCA_FMT_CRMF;
	else if (strcmp(fmt_s, "pkcs10") == 0)
		fmt = LCA_FMT_PKCS10;
	else {
		lca_fail(e, 422, "format must be crmf or pkcs10");
		goto out;
	}
	if (lca_b64_decode(req_s, "request", &req, &req_len, e) != 0)
		goto out;
	memset(&row, 0, sizeof(row));
	if (!EVP_Digest(req, req_len, row.request_sha256, NULL, EVP_sha256(),
	    NULL)) {
		lca_fail(e, 500, "cannot hash the request");
		goto out;
	}
	/*
	 * A repeated issue is the rare case: it is found when its INSERT
	 * meets the first one's row (below), not by a look-up before every
	 * issue. A renew looks first: the certificate it renewed may be
	 * revoked by now.
	 */
	if (rid != NULL && renew && (rc = lca_issued_for(h, rid,
	    row.request_sha256, out, &pending, e)) != LCA_DB_NOTFOUND) {
		r = rc == LCA_DB_VOID ? lca_voided(e) : rc;
		if (rc == 0 && pending)
			r = lca_pending(h, rid, out, e);
		goto out;
	}
	/* renew: the old certificate is one of ours and still valid. */
	if (renew) {
		if (lca_known_cert(h, in, old_serial, sizeof(old_serial),
		    &state, e) != 0)
			goto out;
		if (state != LCA_STATE_ISSUED) {
			lca_fail(e, 422, "certificate is revoked");
			goto out;
		}
	}
	/* "raVerified": the caller, an RA, checked the proof of possession
	 * itself (RFC 4211 4); optional, a boolean */
	if (json_object_object_get_ex(in, "raVerified", &rv) &&
	    !json_object_is_type(rv, json_type_boolean)) {
		lca_fail(e, 422, "raVerified must be a boolean");
		goto out;
	}
	if (lca_ca_issue(h->ca, fmt, req, req_len, rv != NULL &&
	    json_object_get_boolean(rv), &x, e) != 0)
		goto out;
	row.request_id = rid;
	if ((len = i2d_X509(x, &der)) <= 0 || lca_ca_describe(x, &row) != 0 ||
	    util_uuid7(row.uuid) != 0) {
		lca_fail(e, 500, "cannot encode the certificate");
		goto out;
	}
	row.der = der;
	row.der_len = (size_t)len;
	lca_delay(h->conf->sign_delay_ms);
	/* Recorded before it is handed out: revoke must find it. */
	if ((rc = lca_db_insert(&row)) == LCA_DB_DUP) {
		/* The same request, issued before or meanwhile by another
		 * process: this certificate was never recorded nor handed
		 * out. */
		if ((rc = lca_issued_for(h, rid, row.request_sha256, out,
		    &pending, e)) == LCA_DB_NOTFOUND)
			lca_fail(e, 503, "database unavailable");
		else if (rc == LCA_DB_VOID)
			lca_voided(e);
		r = rc == 0 ? 0 : -1;
		if (rc == 0 && pending)
			r = lca_pending(h, rid, out, e);
		goto out;
	}
	if (rc != LCA_DB_OK) {
		lca_fail(e, 503, "database unavailable");
		goto out;
	}
	lca_delay(h->conf->issue_delay_ms);
	/* Tests only: issued and recorded, and answered as the EJBCA NG
	 * connector answers a time-out of its CA (HTTP 400). */
	if (h->conf->issue_fail_status > 0) {
		lca_fail(e, h->conf->issue_fail_status, "the CA did not answer "
		    "in time");
		goto out;
	}
	/* Issued and recorded, handed out issue_pending seconds later. */
	if (rid != NULL && h->conf->issue_pending > 0) {
		r = lca_pending(h, rid, out, e);
		goto out;
	}
	if ((o = json_object_new_object()) == NULL ||
	    lca_json_add(o, "certificateData", lca_issued_data(h, der, len)) !=
	    0 ||
	    lca_json_add(o, "uuid", json_object_new_string(row.uuid)) != 0 ||
	    lca_json_add(o, "meta", lca_meta_json(row.serial_hex)) != 0) {
		lca_fail(e, 500, "out of memory");
		goto out;
	}
	snprintf(h->detail, sizeof(h->detail), " uuid=%s serial=%s%s%s%s%s%s%s",
	    row.uuid, row.serial_hex, renew ? " old_serial=" : "",
	    renew ? old_serial : "", renew ? " meta=" : "",
	    renew ? lca_meta_names(in, old_serial) : "",
	    rid != NULL ? " requestId=" : "", rid != NULL ? rid : "");
	*out = o;
	o = NULL;
	r = 0;
 out:
	json_object_put(o);
	OPENSSL_free(der);
	X509_free(x);
	free(req);
	return r;
}

int
lca_h_issue(struct lca_http *h, json_object *in, json_object **out,
    struct lca_err *e)
{
	return lca_issue(h, in, 0, out, e);
}

int
lca_h_renew(struct lca_http *h, json_object *in, json_object **out,
    struct lca_err *e)
{
	return lca_issue(h, in, 1, out, e);
}

/*
 * revoke_pending (tests of delayed delivery): the first revoke of a
 * certificate starts its clock; until revoke_pending seconds later the
 * call answers 202 {"status": "pending"}. Kept in this process only: a
 * test CA runs one.
 */
#define LCA_REVOKE_PENDING_MAX	64
static struct {
	char	 serial[LCA_SERIAL_HEX_MAX + 1];
	time_t	 first;
} revoke_asked[LCA_REVOKE_PENDING_MAX];

static int
lca_revoke_is_pending(const struct lca_http *h, const char *serial)
{
	time_t now = time(NULL);
	size_t i, free_i = NITEMS(revoke_asked);

	if (h->conf->revoke_pending <= 0)
		return 0;
	for (i = 0; i < NITEMS(revoke_asked); i++) {
		if (strcmp(revoke_asked[i].serial, serial) == 0)
			return revoke_asked[i].first + h->conf->revoke_pending >
			    now;
		if (revoke_asked[i].serial[0] == '\0' &&
		    free_i == NITEMS(revoke_asked))
			free_i = i;
	}
	if (free_i == NITEMS(revoke_asked))
		return 0;	/* full: revoked at once */
	snprintf(revoke_asked[free_i].serial,
	    sizeof(revoke_asked[free_i].serial), "%s", serial);
	revoke_asked[free_i].first = now;
	return 1;
}

/*
 * reason removeFromCRL (RFC 5280 5.3.1): the hold on a certificate is
 * lifted; it is valid again and leaves the CRL. Idempotent like revoke:
 * a valid certificate is what was asked (a client that retries a release
 * it timed out on gets 200); one revoked for good gets 409.
 */
static int
lca_release(struct lca_http *h, const char *serial,
    enum lca_cert_state state, struct lca_err *e)
{
	int rc;

	if (state == LCA_STATE_ISSUED)
		return 0;
	if (state != LCA_STATE_HELD)
		return lca_fail(e, 409, "certificate is not on hold");
	rc = lca_db_release(serial);
	if (rc == LCA_DB_NOTFOUND)
		return lca_fail(e, 409, "certificate is not on hold");
	if (rc != LCA_DB_OK)
		return lca_fail(e, 503, "database unavailable");
	snprintf(h->detail, sizeof(h->detail), " serial=%s released", serial);
	lca_delay(h->conf->revoke_delay_ms);
	return 0;
}

/*
 * {reason, certificate, ...} -> 200, empty body; 202 while pending.
 * reason removeFromCRL takes a certificate off hold (lca_release).
 */
int
lca_h_revoke(struct lca_http *h, json_object *in, json_object **out,
    struct lca_err *e)
{
	static const char *const lists[] = { "attributes",
	    "raProfileAttributes" };
	char serial[LCA_SERIAL_HEX_MAX + 1];
	enum lca_cert_state state;
	const char *reason_s, *reason = NULL;
	int rc, release;

	*out = NULL;
	if (lca_json_lists(in, lists, NITEMS(lists), e) != 0 ||
	    lca_json_string(in, "reason", &reason_s, e) != 0)
		return -1;
	release = strcmp(reason_s, "removeFromCRL") == 0;
	if (!release && (reason = lca_ca_reason_name(reason_s)) == NULL)
		return lca_fail(e, 422, "reason must be one of unspecified, "
		    "keyCompromise, cACompromise, affiliationChanged, "
		    "superseded, cessationOfOperation, certificateHold, "
		    "privilegeWithdrawn, aACompromise, removeFromCRL");
	if (lca_known_cert(h, in, serial, sizeof(serial), &state, e) != 0)
		return -1;
	if (release)
		return lca_release(h, serial, state, e);
	/* 409, not a 422 validation error: what was asked holds, and a
	 * client that retries a revocation can tell (doc/api.md). A
	 * certificate on hold may still be revoked for another reason. */
	if (state == LCA_STATE_REVOKED || (state == LCA_STATE_HELD &&
	    strcmp(reason, "certificateHold") == 0))
		return lca_fail(e, 409, "certificate already revoked");
	if (lca_revoke_is_pending(h, serial)) {
		if ((*out = json_object_new_object()) == NULL ||
		    lca_json_add(*out, "status",
		    json_object_new_string("pending")) != 0)
			return lca_fail(e, 500, "out of memory");
		h->reply_status = 202;
		snprintf(h->detail, sizeof(h->detail), " serial=%s pending",
		    serial);
		return 0;
	}
	rc = lca_db_revoke(serial, reason, time(NULL));
	if (rc == LCA_DB_NOTFOUND)
		return lca_fail(e, 409, "certificate already revoked");
	if (rc != LCA_DB_OK)
		return lca_fail(e, 503, "database unavailable");
	snprintf(h->detail, sizeof(h->detail), " serial=%s reason=%s", serial,
	    reason);
	lca_delay(h->conf->revoke_delay_ms);
	return 0;
}

/*
 * {requestId, raProfileAttributes, final?} -> {requestId, found: true,
 * certificateData, uuid, meta} or {requestId, found: false}: what this
 * CA issued for an issue or renew request with that requestId.
 * With "final": true the caller settles the request as one nothing was
 * issued for on "found": false (cmpd's sweep, or its pollReq past the
 * time an issue call may take), so that answer is made binding: the
 * request id is voided first (lca_db_void), and an issue for it still
 * under way (its INSERT held by a partition, or not yet committed)
 * fails instead of issuing unknown to the caller. Without it, "found":
 * false is what the table holds now: an issue call that is still
 * working (past the caller's time budget) may yet record one.
 */
int
lca_h_lookup(struct lca_http *h, json_object *in, json_object **out,
    struct lca_err *e)
{
	static const char *const lists[] = { "raProfileAttributes" };
	const char *rid;
	json_object *o = NULL, *fv = NULL;
	int rc, final, pending = 0, r = -1;

	*out = NULL;
	if (lca_json_lists(in, lists, NITEMS(lists), e) != 0 ||
	    lca_request_id(in, 1, &rid, e) != 0)
		return -1;
	if (json_object_object_get_ex(in, "final", &fv) &&
	    !json_object_is_type(fv, json_type_boolean))
		return lca_fail(e, 422, "final must be a boolean");
	final = fv != NULL && json_object_get_boolean(fv);
	rc = lca_issued_for(h, rid, NULL, &o, &pending, e);
	if (rc == LCA_DB_NOTFOUND && final) {
		switch (lca_db_void(rid)) {
		case LCA_DB_OK:
			rc = LCA_DB_VOID;
			break;
		case LCA_DB_DUP:	/* issued, or voided, meanwhile */
			rc = lca_issued_for(h, rid, NULL, &o, &pending, e);
			if (rc != LCA_DB_NOTFOUND)
				break;
			/* FALLTHROUGH */
		default:
			lca_fail(e, 503, "database unavailable");
			goto out;
		}
	}
	if (rc == LCA_DB_NOTFOUND || rc == LCA_DB_VOID ||
	    (rc == 0 && pending)) {
		if ((o = json_object_new_object()) == NULL ||
		    (pending && lca_json_add(o, "pending",
		    json_object_new_boolean(1)) != 0)) {
			lca_fail(e, 500, "out of memory");
			goto out;
		}
		snprintf(h->detail, sizeof(h->detail), " requestId=%s "
		    "found=false%s%s", rid, pending ? " pending" : "",
		    rc == LCA_DB_VOID ? " void" : "");
	} else if (rc != 0)
		goto out;
	if (lca_json_add(o, "requestId", json_object_new_string(rid)) != 0 ||
	    lca_json_add(o, "found", json_object_new_boolean(rc == 0 &&
	    !pending)) != 0) {
		lca_fail(e, 500, "out of memory");
		goto out;
	}
	*out = o;
	o = NULL;
	r = 0;
 out:
	json_object_put(o);
	return r;
}

/* {raProfileAttributes} -> {certificates: [{certificateData}...]} */
int
lca_h_ca_certs(struct lca_http *h, json_object *in, json_object **out,
    struct lca_err *e)
{
	static const char *const lists[] = { "raProfileAttributes" };
	json_object *o = NULL, *list;
	int i, r = -1;

	lca_delay(h->conf->ca_delay_ms);

	*out = NULL;
	if (lca_json_lists(in, lists, NITEMS(lists), e) != 0)
		return -1;
	if ((o = json_object_new_object()) == NULL ||
	    lca_json_add(o, "certificates", json_object_new_array()) != 0) {
		lca_fail(e, 500, "out of memory");
		goto out;
	}
	json_object_object_get_ex(o, "certificates", &list);
	/* The issuing CA first, then up to the root. */
	for (i = -1; i < sk_X509_num(h->ca->chain); i++) {
		json_object *c = lca_cert_json(i < 0 ? h->ca->cert :
		    sk_X509_value(h->ca->chain, i));

		if (c == NULL || json_object_array_add(list, c) != 0) {
			json_object_put(c);
			lca_fail(e, 500, "out of memory");
			goto out;
		}
	}
	*out = o;
	o = NULL;
	r = 0;
 out:
	json_object_put(o);
	return r;
}

/* {delta, raProfileAttributes} -> {crlData} */
int
lca_h_crl(struct lca_http *h, json_object *in, json_object **out,
    struct lca_err *e)
{
	static const char *const lists[] = { "raProfileAttributes" };
	unsigned char *der = NULL;
	json_object *o = NULL, *delta = NULL;
	X509_CRL *crl = NULL;
	int len, r = -1;

	lca_delay(h->conf->ca_delay_ms);

	*out = NULL;
	if (lca_json_lists(in, lists, NITEMS(lists), e) != 0)
		goto out;
	if (json_object_object_get_ex(in, "delta", &delta) && delta != NULL) {
		if (!json_object_is_type(delta, json_type_boolean)) {
			lca_fail(e, 422, "delta must be true or false");
			goto out;
		}
		if (json_object_get_boolean(delta)) {
			lca_fail(e, 422, "delta CRLs are not supported");
			goto out;
		}
	}
	if (lca_ca_crl(h->ca, &crl, e) != 0)
		goto out;
	if ((len = i2d_X509_CRL(crl, &der)) <= 0 ||
	    (o = json_object_new_object()) == NULL ||
	    lca_json_add(o, "crlData", lca_b64_json(der, len)) != 0) {
		lca_fail(e, 500, "out of memory");
		goto out;
	}
	snprintf(h->detail, sizeof(h->detail), " revoked=%d",
	    sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)));
	*out = o;
	o = NULL;
	r = 0;
 out:
	json_object_put(o);
	OPENSSL_free(der);
	X509_CRL_free(crl);
	return r;
}
