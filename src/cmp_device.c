/*
 * Per-device shared secrets ("pre-registration"): a CMP Profile's device
 * entries, each selected by the senderKID a device sends (RFC 9810
 * 5.1.1: senderKID identifies the shared secret; RFC 9483 3.2 and 4.1.1
 * call it the reference). The entry's secret verifies the request's MAC
 * (PBM or PBMAC1, cmp_protect.c) and then MACs the answers; a used,
 * expired or locked entry, a wrong secret and an unknown reference are
 * refused alike (CMPF_MAC_MISMATCH), after the same MAC work, so that a
 * guesser learns nothing of which references exist.
 *
 * An enrolment (ir, cr, p10cr) spends one of the entry's uses per
 * certificate it asks for (each CertReqMsg) before the CA is asked, with
 * a conditional UPDATE: two requests on two workers cannot both spend the
 * last use, and an entry with fewer uses left than the request's
 * CertReqMsgs is refused. The uses are given back when no certificate
 * was issued. Follow-ups (certConf, error, pollReq) of the
 * entry's transactions verify with its secret whatever its uses.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/crmf.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmpd.h"

#define DEV_STATE_SQL	CMP_DEVICE_STATE_SQL

struct dev_entry {
	char	 uuid[CMPD_UUID_LEN + 1];
	unsigned char secret_enc[PROFILE_SECRET_MAX + 64];
	unsigned char secret[PROFILE_SECRET_MAX];
	size_t	 secret_len;
	char	 subject[4 * CMP_DEVICE_CONSTRAINT_MAX + 1];
	char	 san[4 * CMP_DEVICE_CONSTRAINT_MAX + 1];
	char	 state[16];
	long	 failed;		/* wrong MACs counted so far */
};

/* Keyed anew per worker: no MAC ever verifies with it. */
static unsigned char dev_dummy[32];
static int dev_dummy_set;

/* 1: the entry exists, 0: not, -1: database error. */
static int
dev_lookup(const struct profile *p, const ASN1_OCTET_STRING *kid,
    struct dev_entry *e)
{
	static const char sql[] = "SELECT d.uuid, d.secret_enc, "
	    "COALESCE(d.subject, ''), COALESCE(d.san, ''), " DEV_STATE_SQL
	    ", d.failed_macs FROM cmp_device d WHERE d.cmp_profile_uuid = ? AND "
	    "d.reference = ?";
	struct db_arg a[2] = { DB_ARG_STR(p->cmp_uuid),
	    DB_ARG_BLOB(ASN1_STRING_get0_data(kid),
	    (unsigned long)ASN1_STRING_length(kid)) };
	struct db_col c[6];
	char aad[SECRET_AAD_MAX];
	int r;

	a[1].type = DB_STR;
	memset(c, 0, sizeof(c));
	c[0].type = DB_STR;
	c[0].buf = e->uuid;
	c[0].n = sizeof(e->uuid);
	c[1].type = DB_BLOB;
	c[1].buf = e->secret_enc;
	c[1].n = sizeof(e->secret_enc);
	c[2].type = DB_STR;
	c[2].buf = e->subject;
	c[2].n = sizeof(e->subject);
	c[3].type = DB_STR;
	c[3].buf = e->san;
	c[3].n = sizeof(e->san);
	c[4].type = DB_STR;
	c[4].buf = e->state;
	c[4].n = sizeof(e->state);
	c[5].type = DB_INT;
	if ((r = db_run(sql, a, 2, c, 6, NULL)) == DB_ERR)
		return -1;
	if (r != DB_OK)
		return 0;
	e->failed = (long)c[5].i;
	SECRET_AAD(aad, "cmp_device.secret_enc", e->uuid);
	if (secret_open(e->secret_enc, c[1].len, aad, e->secret,
	    sizeof(e->secret), &e->secret_len) != 0 || e->secret_len == 0) {
		log_error("device entry %s: secret does not open with "
		    "secret_key_file", e->uuid);
		return -1;
	}
	return 1;
}

/*
 * A wrong MAC: counted, and the entry locked at the conf's maximum, for
 * lock_time seconds (0: until an operator unlocks it). The count stays:
 * once a lock has ended, the next wrong MAC locks again, so that a
 * guesser gets one guess per lock_time, and whoever sends wrong MACs
 * keeps the entry locked no longer than that after the last one.
 */
static void
dev_failed(const char *uuid, int max, int lock_time)
{
	static const char sql[] = "UPDATE cmp_device SET "
	    "locked_until = IF(failed_macs + 1 >= ?, IF(? = 0, NULL, "
	    "UTC_TIMESTAMP(6) + INTERVAL ? SECOND), locked_until), "
	    "locked = IF(failed_macs + 1 >= ?, 1, locked), "
	    "failed_macs = failed_macs + 1 WHERE uuid = ?";
	struct db_arg a[5] = { DB_ARG_INT(max), DB_ARG_INT(lock_time),
	    DB_ARG_INT(lock_time), DB_ARG_INT(max), DB_ARG_STR(uuid) };

	if (db_run(sql, a, NITEMS(a), NULL, 0, NULL) != DB_OK)
		log_warn("device entry %s: failed MAC not counted", uuid);
}

/*
 * Wrong MACs of this request, counted once its answer has left
 * (cmp_device_settle): a reference without an entry writes nothing, so
 * a durable write before the answer would tell by its time which
 * references exist. A request with more (the inner messages of a nested
 * one) counts the others at once.
 */
#define DEV_OWED_MAX	8
static struct {
	char	 uuid[CMPD_UUID_LEN + 1];
	int	 max, lock_time;
} dev_owed[DEV_OWED_MAX];
static size_t dev_nowed;

static void
dev_failed_later(const struct dev_entry *e, int max, int lock_time)
{
	if (dev_nowed == DEV_OWED_MAX) {
		dev_failed(e->uuid, max, lock_time);
		return;
	}
	snprintf(dev_owed[dev_nowed].uuid, sizeof(dev_owed[0].uuid), "%s",
	    e->uuid);
	dev_owed[dev_nowed].max = max;
	dev_owed[dev_nowed].lock_time = lock_time;
	dev_nowed++;
}

/* After the answer: the wrong MACs of the request counted. */
void
cmp_device_settle(void)
{
	size_t i;

	for (i = 0; i < dev_nowed; i++)
		dev_failed(dev_owed[i].uuid, dev_owed[i].max,
		    dev_owed[i].lock_time);
	dev_nowed = 0;
}

/*
 * A guess at the lock's edge (the next wrong MAC locks the entry) is
 * claimed before its MAC is checked: counted and the entry locked in one
 * statement, unless it is locked already. 1: claimed (dev_cleared()
 * undoes it when the MAC verifies), 0: locked meanwhile (the guess is
 * refused as against a locked entry, whatever its MAC: one guess per
 * lock, however many come at once), -1 on database errors.
 */
static int
dev_claim(const struct dev_entry *e, int lock_time)
{
	static const char sql[] = "UPDATE cmp_device d SET "
	    "locked_until = IF(? = 0, NULL, UTC_TIMESTAMP(6) + INTERVAL ? "
	    "SECOND), locked = 1, failed_macs = failed_macs + 1 "
	    "WHERE uuid = ? AND NOT " CMP_DEVICE_LOCKED_SQL;
	struct db_arg a[3] = { DB_ARG_INT(lock_time), DB_ARG_INT(lock_time),
	    DB_ARG_STR(e->uuid) };
	unsigned long long n = 0;

	if (db_run(sql, a, NITEMS(a), NULL, 0, &n) != DB_OK)
		return -1;
	return n == 1;
}

/* A MAC that verified: the count of wrong MACs (and a claim's lock) gone. */
static void
dev_cleared(const struct dev_entry *e)
{
	static const char sql[] = "UPDATE cmp_device SET failed_macs = 0, "
	    "locked = 0, locked_until = NULL WHERE uuid = ?";
	struct db_arg a[1] = { DB_ARG_STR(e->uuid) };

	if (db_run(sql, a, NITEMS(a), NULL, 0, NULL) != DB_OK)
		log_warn("device entry %s: wrong MACs not cleared", e->uuid);
}

/*
 * Spends uses uses (1), or finds fewer left (0; none at the lookup, or
 * another request spent them since), -1 on database errors.
 */
static int
dev_spend(const char *uuid, int uses)
{
	static const char sql[] = "UPDATE cmp_device d SET "
	    "uses_left = uses_left - ?, last_used_at = UTC_TIMESTAMP(6) "
	    "WHERE uuid = ? AND uses_left >= ? AND NOT "
	    CMP_DEVICE_LOCKED_SQL " AND "
	    "(not_after IS NULL OR not_after >= UTC_TIMESTAMP(6))";
	struct db_arg a[3] = { DB_ARG_INT(uses), DB_ARG_STR(uuid),
	    DB_ARG_INT(uses) };
	unsigned long long n = 0;

	if (db_run(sql, a, NITEMS(a), NULL, 0, &n) != DB_OK)
		return -1;
	return n == 1;
}

/* The certificates an enrolment asks for: its CertReqMsgs (p10cr: 1). */
static int
dev_uses(const CMPD_MSG *req, int type)
{
	int n;

	if (type == CMPD_BODY_P10CR)
		return 1;
	n = sk_OSSL_CRMF_MSG_num(req->body->value.ir);
	return n > 0 ? n : 1;
}

void
cmp_device_refund(struct profile *p)
{
	static const char sql[] = "UPDATE cmp_device SET "
	    "uses_left = LEAST(uses_left + ?, uses_max) WHERE uuid = ?";
	struct db_arg a[2] = { DB_ARG_INT(p->device_spent),
	    DB_ARG_STR(p->device_uuid) };

	if (p->device_spent <= 0)
		return;
	if (db_run(sql, a, NITEMS(a), NULL, 0, NULL) != DB_OK)
		log_warn("device entry %s: %d use%s not given back",
		    p->device_uuid, p->device_spent,
		    p->device_spent == 1 ? "" : "s");
	else
		log_info("device entry %s: nothing issued, %d use%s given "
		    "back", p->device_uuid, p->device_spent,
		    p->device_spent == 1 ? "" : "s");
	p->device_spent = 0;
}

/* "DNS:a.example, IP:192.0.2.1" as GENERAL_NAMES; NULL if malformed. */
GENERAL_NAMES *
cmp_device_san_parse(const char *s)
{
	GENERAL_NAMES *gens;
	GENERAL_NAME *g;
	char buf[CMP_DEVICE_CONSTRAINT_MAX + 1], *tok, *v, *save = NULL;
	int type;

	if (strlen(s) >= sizeof(buf) || (gens = GENERAL_NAMES_new()) == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if ((v = strchr(tok, ':')) == NULL)
			goto err;
		*v++ = '\0';
		if (strcmp(tok, "DNS") == 0)
			type = GEN_DNS;
		else if (strcmp(tok, "IP") == 0)
			type = GEN_IPADD;
		else if (strcmp(tok, "email") == 0)
			type = GEN_EMAIL;
		else if (strcmp(tok, "URI") == 0)
			type = GEN_URI;
		else
			goto err;
		if (*v == '\0' ||
		    (g = a2i_GENERAL_NAME(NULL, NULL, NULL, type, v, 0)) ==
		    NULL)
			goto err;
		if (!sk_GENERAL_NAME_push(gens, g)) {
			GENERAL_NAME_free(g);
			goto err;
		}
	}
	if (sk_GENERAL_NAME_num(gens) == 0)
		goto err;
	return gens;
 err:
	GENERAL_NAMES_free(gens);
	return NULL;
}

/*
 * The constraints are exact: the template's subject is the constraint's
 * name (X509_NAME_cmp: the same RDNs in the same order, values compared
 * as canonical strings), and its subjectAltName holds the same set of
 * names as the constraint (order free, each compared exactly). An entry
 * that names its subject and no subjectAltName allows none: a device
 * would otherwise add any name it liked beside the subject it was given
 * (the names a TLS peer checks are the subjectAltName's).
 */
static enum cmp_fail
dev_match(const struct dev_entry *e, const X509_NAME *subj,
    const STACK_OF(X509_EXTENSION) *exts, char *arg, size_t arglen)
{
	X509_NAME *want = NULL;
	GENERAL_NAMES *wsan = NULL, *san = NULL;
	enum cmp_fail f = CMPF_DEVICE_TEMPLATE;

	if (e->subject[0] != '\0') {
		snprintf(arg, arglen, "subject");
		if ((want = cmp_msg_parse_name(e->subject)) == NULL ||
		    subj == NULL || X509_NAME_cmp(want, subj) != 0)
			goto out;
	}
	if (e->san[0] != '\0') {
		snprintf(arg, arglen, "subjectAltName");
		if ((wsan = cmp_device_san_parse(e->san)) == NULL)
			goto out;
		san = exts == NULL ? NULL :
		    X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
		if (san == NULL || !util_names_within(san, wsan) ||
		    !util_names_within(wsan, san))
			goto out;
	} else if (e->subject[0] != '\0' && exts != NULL &&
	    X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1) >= 0) {
		snprintf(arg, arglen, "subjectAltName");
		goto out;
	}
	arg[0] = '\0';
	f = CMPF_OK;
 out:
	X509_NAME_free(want);
	GENERAL_NAMES_free(wsan);
	GENERAL_NAMES_free(san);
	return f;
}

/* Every certificate the request asks for matches the constraints. */
static enum cmp_fail
dev_template(const CMPD_MSG *req, const struct dev_entry *e, char *arg,
    size_t arglen)
{
	int type = cmp_msg_body_type(req), i;
	OSSL_CRMF_MSGS *msgs;
	OSSL_CRMF_CERTTEMPLATE *t;
	STACK_OF(X509_EXTENSION) *exts;
	enum cmp_fail f = CMPF_OK;

	if (e->subject[0] == '\0' && e->san[0] == '\0')
		return CMPF_OK;
	if (type == CMPD_BODY_P10CR) {
		exts = X509_REQ_get_extensions(req->body->value.p10cr);
		f = dev_match(e, X509_REQ_get_subject_name(
		    req->body->value.p10cr), exts, arg, arglen);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		return f;
	}
	msgs = type == CMPD_BODY_IR ? req->body->value.ir :
	    req->body->value.cr;
	for (i = 0; f == CMPF_OK && i < sk_OSSL_CRMF_MSG_num(msgs); i++) {
		t = OSSL_CRMF_MSG_get0_tmpl(sk_OSSL_CRMF_MSG_value(msgs, i));
		f = dev_match(e, t == NULL ? NULL :
		    OSSL_CRMF_CERTTEMPLATE_get0_subject(t), t == NULL ? NULL :
		    OSSL_CRMF_CERTTEMPLATE_get0_extensions(t), arg, arglen);
	}
	return f;
}

static int
dev_is_followup(int type)
{
	return type == CMPD_BODY_CERTCONF || type == CMPD_BODY_ERROR ||
	    type == CMPD_BODY_POLLREQ;
}

static int
dev_is_enrol(int type)
{
	return type == CMPD_BODY_IR || type == CMPD_BODY_CR ||
	    type == CMPD_BODY_P10CR;
}

/*
 * The MAC step of a CMP Profile with device entries, or without
 * profileSecretFallback. CMPF_OK with p->device_uuid set: the entry's
 * secret verified the MAC and is now p->secret (the answers' MAC key);
 * CMPF_OK with it empty: the profile's own secret is to verify.
 * mac_only: the MAC and the entry's state alone, for the answer to a
 * message refused already; no template check, no use spent.
 */
enum cmp_fail
cmp_device_verify(const CMPD_MSG *req, struct profile *p,
    const struct conf *c, int mac_only, char *arg, size_t arglen)
{
	const ASN1_OCTET_STRING *kid = req->header->senderKID;
	struct dev_entry *e = NULL;
	enum cmp_fail f;
	int type = cmp_msg_body_type(req), r, locked, claimed = 0;

	p->device_uuid[0] = '\0';
	p->device_spent = 0;
	if (!p->has_devices && p->secret_fallback)
		return CMPF_OK;
	/* References are URL-unreserved ASCII (a path segment of the API):
	 * any other senderKID selects no entry, without a query. */
	if (kid == NULL || ASN1_STRING_length(kid) == 0 ||
	    ASN1_STRING_length(kid) > CMP_REQUESTER_KID_MAX ||
	    !route_name_valid((const char *)ASN1_STRING_get0_data(kid),
	    (size_t)ASN1_STRING_length(kid)))
		kid = NULL;
	if ((e = OPENSSL_zalloc(sizeof(*e))) == NULL)
		return CMPF_INTERNAL;
	r = kid == NULL || !p->has_devices ? 0 : dev_lookup(p, kid, e);
	if (r < 0) {
		f = CMPF_DB_UNAVAILABLE;
		goto out;
	}
	if (r == 0) {
		if (p->secret_fallback && p->has_secret) {
			f = CMPF_OK;
			goto out;
		}
		/* The same MAC work as for an entry (no timing oracle). */
		if (!dev_dummy_set) {
			if (RAND_bytes(dev_dummy, sizeof(dev_dummy)) != 1) {
				f = CMPF_INTERNAL;
				goto out;
			}
			dev_dummy_set = 1;
		}
		f = cmp_protect_pbm_verify(req, dev_dummy, sizeof(dev_dummy),
		    NULL, c->pbm_iterations_max, p->legacy_pbm, arg, arglen);
		if (f == CMPF_OK)
			f = CMPF_MAC_MISMATCH;
		if (f == CMPF_MAC_MISMATCH)
			log_warn("PN=%s: MAC refused: %s", p->cmp_name,
			    kid == NULL ? "no senderKID" :
			    "no device entry of that reference");
		goto out;
	}
	locked = strcmp(e->state, "locked") == 0;
	if (!locked && e->failed + 1 >= c->device_mac_failures_max) {
		if ((r = dev_claim(e, c->device_lock_time)) < 0) {
			f = CMPF_DB_UNAVAILABLE;
			goto out;
		}
		/* locked meanwhile: refused as locked, after the same
		 * MAC work (no timing tells the two apart) */
		if (r == 0) {
			snprintf(e->state, sizeof(e->state), "locked");
			locked = 1;
		} else
			claimed = 1;
	}
	f = cmp_protect_pbm_verify(req, e->secret, e->secret_len, NULL,
	    c->pbm_iterations_max, p->legacy_pbm, arg, arglen);
	if (f == CMPF_MAC_MISMATCH) {
		if (!locked && !claimed)
			dev_failed_later(e, c->device_mac_failures_max,
			    c->device_lock_time);
		log_warn("PN=%s: MAC refused: device entry %s: wrong MAC",
		    p->cmp_name, e->uuid);
		goto out;
	}
	if (f != CMPF_OK)
		goto out;
	/* the right secret: wrong MACs before it count no more */
	if (!locked && (claimed || e->failed > 0))
		dev_cleared(e);
	/* Follow-ups of its own transactions (cmp_confirm.c checks the
	 * requester) verify whatever the uses; anything else needs an
	 * active entry. */
	if (strcmp(e->state, "locked") == 0 || (!dev_is_followup(type) &&
	    strcmp(e->state, "active") != 0)) {
		log_warn("PN=%s: MAC refused: device entry %s is %s",
		    p->cmp_name, e->uuid, e->state);
		f = CMPF_MAC_MISMATCH;
		goto out;
	}
	/* From here on the answers are MAC'd with the entry's secret. */
	memcpy(p->secret, e->secret, e->secret_len);
	p->secret_len = e->secret_len;
	p->has_secret = 1;
	snprintf(p->device_uuid, sizeof(p->device_uuid), "%s", e->uuid);
	if (mac_only || !dev_is_enrol(type)) {
		f = CMPF_OK;
		goto out;
	}
	/* RFC 9483 4.1.1: checked before the CA is asked. */
	if ((f = dev_template(req, e, arg, arglen)) != CMPF_OK) {
		log_warn("PN=%s: device entry %s: template does not match "
		    "its %s constraint", p->cmp_name, e->uuid, arg);
		goto out;
	}
	if ((r = dev_spend(e->uuid, dev_uses(req, type))) < 0) {
		f = CMPF_DB_UNAVAILABLE;
		goto out;
	}
	if (r == 0) {
		/* a concurrent request spent the last uses, or one use
		 * left and several certificates asked for */
		log_warn("PN=%s: MAC refused: device entry %s has fewer uses "
		    "left than the %d certificate%s asked for", p->cmp_name,
		    e->uuid, dev_uses(req, type),
		    dev_uses(req, type) == 1 ? "" : "s");
		p->device_uuid[0] = '\0';
		f = CMPF_MAC_MISMATCH;
		goto out;
	}
	p->device_spent = dev_uses(req, type);
	f = CMPF_OK;
 out:
	if (e != NULL)
		OPENSSL_clear_free(e, sizeof(*e));
	return f;
}
