/*
 * fuzz_server.c - a PKIMessage through cmp_request_handle(), the path a
 * worker runs for POST /api/v1/protocols/cmp/{name}, with MariaDB and the
 * connector replaced by double_db.c and double_conn.c.
 *
 * Two CMP Profiles exist: "fuzz-mac" (sharedSecret both ways, the
 * fixtures' secret "test-secret", senderKID "1234") and "fuzz-sig"
 * (signature both ways: srv.key/srv.pem signs, root.pem and root-rsa.pem
 * are the trust anchors). The request's protection picks the profile, so
 * the fixtures of t/fixtures pass protection and reach the body handlers.
 *
 * The last byte of the transactionID picks the world the request meets
 * (a fuzzer mutates it as easily as anything else):
 *   bits 0-2  transaction / inventory: 0 none, 1 already confirmed or
 *             revoked (and transactionID in use), 2 another nonce,
 *             3 past its deadline, 4-7 waiting for this certConf
 *   bits 3-4  connector: 0 fails (bits 5-6 say how), 1-3 answers
 *   bits 5-7  0 the database fails, 1 the RA Profile route, 2 v2_3gpp,
 *             3 a disabled CMP Profile, 4-7 as configured
 *
 * The high nibble of the transactionID's first byte, when odd, turns the
 * messageTime check on (a skew of ten years: the fixtures still pass);
 * its bit 0x20 turns centralKeyGeneration on.
 *
 * A mutated message no longer verifies, so a message that decodes is
 * protected again before it is handled (PBM with the fixtures' secret and
 * the message's own parameters, or signed by ee.pem or ee-rsa.pem), unless
 * the low nibble of the transactionID's first byte is 0: then it is
 * handled as it came, and protection checking itself is what is fuzzed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "conn.h"
#include "fuzz.h"
#include "store.h"

#define UUID_MAC	"11111111-1111-4111-8111-111111111111"
#define UUID_SIG	"55555555-5555-4555-8555-555555555555"
#define UUID_RA		"22222222-2222-4222-8222-222222222222"
#define UUID_AUTH	"33333333-3333-4333-8333-333333333333"
#define UUID_CONN	"44444444-4444-4444-8444-444444444444"
#define UUID_TXCERT	"66666666-6666-4666-8666-666666666666"
#define UUID_CERT	"77777777-7777-4777-8777-777777777777"
#define FIXTURE_SECRET	"test-secret"

static struct conf conf;
static EVP_PKEY *ee_key, *ee_rsa_key;
static X509 *ee_cert, *ee_rsa_cert;

/* sealed and DER material the rows hand out */
static unsigned char *secret_blob, *key_blob;
static size_t secret_blob_len, key_blob_len;
static unsigned char *srv_der, *anchors_der, *chain_der, *tx_cert_der,
    *inv_cert_der;
static size_t srv_der_len, anchors_der_len, chain_der_len, tx_cert_der_len,
    inv_cert_der_len;

/* the world of this input */
static struct {
	int	 tx;		/* bits 0-2 */
	int	 v3gpp, disabled;
	int	 ckg;		/* centralKeyGeneration */
	const char *cmp_uuid;
	unsigned char nonce[CMPD_ID_MAX_LEN];
	size_t	 nonce_len;
	struct cmp_requester who;	/* of the message handled */
	int	 has_who;
} w;

static int
row_profile(const char *sql, const struct db_arg *a, size_t na,
    struct db_col *c, size_t nc,
    unsigned long long *aff)
{
	int sig = na > 0 && a[0].type == DB_STR &&
	    memmem(a[0].p, a[0].len, "sig", 3) != NULL;
	int r = 0;

	if (nc < 24)
		return DB_ERR;
	r |= fuzz_db_str(&c[0], sig ? UUID_SIG : UUID_MAC);
	r |= fuzz_db_str(&c[1], sig ? "fuzz-sig" : "fuzz-mac");
	fuzz_db_int(&c[2], !w.disabled);
	r |= fuzz_db_str(&c[3], sig && w.v3gpp ? "v2_3gpp" : "v2");
	r |= fuzz_db_str(&c[4], sig ? "signature" : "sharedSecret");
	r |= fuzz_db_str(&c[5], sig ? "signature" : "sharedSecret");
	fuzz_db_int(&c[6], sig);
	fuzz_db_int(&c[7], sig);
	r |= fuzz_db_str(&c[8], UUID_RA);
	r |= fuzz_db_str(&c[9], "fuzz-ra");
	fuzz_db_int(&c[10], 1);
	if (!sig) {
		r |= fuzz_db_blob(&c[11], secret_blob, secret_blob_len);
		r |= fuzz_db_str(&c[12], "1234");
	}
	fuzz_db_int(&c[13], 1);
	fuzz_db_int(&c[14], 0);
	r |= fuzz_db_str(&c[15], "[]");
	r |= fuzz_db_str(&c[16], "[]");
	r |= fuzz_db_str(&c[17], "[]");
	r |= fuzz_db_str(&c[18], UUID_AUTH);
	r |= fuzz_db_str(&c[19], UUID_CONN);
	r |= fuzz_db_str(&c[20], "http://127.0.0.1:9");
	r |= fuzz_db_str(&c[21], "none");
	r |= fuzz_db_str(&c[23], "2026-12-01 00:00:00.000000");
	/* subjectPolicy: signer in half the worlds, any in the others */
	if (nc > 24)
		fuzz_db_int(&c[24], w.tx & 1);
	if (nc > 25)
		fuzz_db_int(&c[25], 0);
	/* caPubs: the default, or always */
	if (nc > 26)
		r |= fuzz_db_str(&c[26], (w.tx & 2) ? "always" : "sharedSecret");
	/* legacyPbm: SHA-1 as PBM's owf allowed in some worlds */
	if (nc > 27)
		fuzz_db_int(&c[27], (w.tx >> 1) & 1);
	/* certReqMax, syncBudget: the defaults */
	if (nc > 29) {
		fuzz_db_int(&c[28], 0);
		fuzz_db_int(&c[29], 0);
	}
	/* centralKeyGeneration in some worlds */
	if (nc > 33)
		fuzz_db_int(&c[30], w.ckg);
	/* the last three, counted from the end: a certReqTemplate held to
	 * in some worlds, profileSecretFallback on, no device entries
	 * (cmp_device.c reads none) */
	if (nc > 32) {
		r |= fuzz_db_str(&c[nc - 3], (w.tx & 4) ? "{\"keySpec\": "
		    "\"EC:prime256v1\", \"keyUsage\": [\"digitalSignature\"], "
		    "\"extendedKeyUsage\": [\"clientAuth\"]}" : "");
		fuzz_db_int(&c[nc - 2], 1);
		fuzz_db_int(&c[nc - 1], 0);
	}
	return r != 0 ? DB_ERR : DB_OK;
}

static int
row_signing(const char *sql, const struct db_arg *a, size_t na,
    struct db_col *c, size_t nc,
    unsigned long long *aff)
{
	if (nc < 4 ||
	    fuzz_db_blob(&c[0], key_blob, key_blob_len) != DB_OK ||
	    fuzz_db_blob(&c[1], srv_der, srv_der_len) != DB_OK ||
	    fuzz_db_blob(&c[2], chain_der, chain_der_len) != DB_OK ||
	    fuzz_db_blob(&c[3], anchors_der, anchors_der_len) != DB_OK)
		return DB_ERR;
	return DB_OK;
}

/* store_tx_list(): the transaction a certConf confirms (one row). */
static int
row_tx(const char *sql, const struct db_arg *a, size_t na,
    struct db_col *c, size_t nc,
    unsigned long long *aff)
{
	static const unsigned char other[16] = { 1 };

	if (nc < 8 || w.tx == 0)
		return DB_NOTFOUND;
	if (fuzz_db_str(&c[0], w.tx == 1 ? "confirmed" : "confirm_wait") ||
	    fuzz_db_blob(&c[1], w.tx == 2 ? other : w.nonce,
	    w.tx == 2 ? sizeof(other) : w.nonce_len) ||
	    fuzz_db_str(&c[3], w.cmp_uuid) ||
	    fuzz_db_str(&c[4], UUID_TXCERT) ||
	    fuzz_db_blob(&c[5], tx_cert_der, tx_cert_der_len) ||
	    fuzz_db_str(&c[6], UUID_RA))
		return DB_ERR;
	fuzz_db_int(&c[2], 0);
	fuzz_db_int(&c[7], w.tx == 3);
	return DB_OK;
}

/*
 * store_tx_requester(): the transaction was asked by whoever sends this
 * certConf, but in world 4, where another device asked.
 */
static int
row_requester(const char *sql, const struct db_arg *a, size_t na,
    struct db_col *c, size_t nc,
    unsigned long long *aff)
{
	struct cmp_requester who = w.who;

	if (nc < 3 || w.tx == 0 || !w.has_who)
		return DB_NOTFOUND;
	if (w.tx == 4) {
		who.cert_hash[0] ^= 1;
		if (who.kid_len > 0)
			who.kid[0] ^= 1;
		else
			who.kid_len = 1;
	}
	if (fuzz_db_str(&c[0], profile_prot_name(who.method)) ||
	    fuzz_db_blob(&c[1], who.cert_hash, sizeof(who.cert_hash)) ||
	    fuzz_db_blob(&c[2], who.kid, who.kid_len))
		return DB_ERR;
	return DB_OK;
}

/* store_cert_find(): the inventory's certificate (rr, kur). */
static int
row_cert(const char *sql, const struct db_arg *a, size_t na,
    struct db_col *c, size_t nc,
    unsigned long long *aff)
{
	if (nc < 3 || w.tx == 0)
		return DB_NOTFOUND;
	if (fuzz_db_str(&c[0], UUID_CERT) ||
	    fuzz_db_str(&c[1], w.tx == 1 ? "revoked" : "issued") ||
	    fuzz_db_blob(&c[2], inv_cert_der, inv_cert_der_len))
		return DB_ERR;
	return DB_OK;
}

/* A transactionID seen before. */
static int
row_tx_insert(const char *sql, const struct db_arg *a, size_t na,
    struct db_col *c, size_t nc,
    unsigned long long *aff)
{
	return w.tx == 1 ? DB_DUP : DB_OK;
}

/* store_confirm() changes the row only when the certConf wins the race. */
static int
row_confirm(const char *sql, const struct db_arg *a, size_t na,
    struct db_col *c, size_t nc,
    unsigned long long *aff)
{
	*aff = w.tx == 3 ? 0 : 1;
	return DB_OK;
}

/* The CMP Profile's certReqTemplate (genm), none in world 0. */
static int
row_template(const char *sql, const struct db_arg *a, size_t na,
    struct db_col *c, size_t nc,
    unsigned long long *aff)
{
	if (nc < 1)
		return DB_NOTFOUND;
	return fuzz_db_str(&c[0], w.tx == 0 ? "" : "{\"subject\":\"CN=fuzz\","
	    "\"keyUsage\":[\"digitalSignature\"],\"keySpec\":\"EC:P-256\"}");
}

static const struct fuzz_db_rule rules[] = {
	{ "c.response_protection, ", row_profile },
	{ "cert_req_template", row_template },
	{ "SELECT signing_key_enc, ", row_signing },
	{ "FROM cmp_transaction t LEFT JOIN certificate", row_tx },
	{ "SELECT requester_method, ", row_requester },
	{ "SELECT uuid, status, der FROM certificate", row_cert },
	{ "INSERT INTO cmp_transaction", row_tx_insert },
	{ "state = 'confirm_wait'", row_confirm },
};

static void
seal(const unsigned char *p, size_t n, const char *column, const char *uuid,
    unsigned char **out, size_t *outlen)
{
	char aad[SECRET_AAD_MAX];

	SECRET_AAD(aad, column, uuid);
	if (secret_seal(p, n, aad, out, outlen) != 0)
		abort();
}

/* Concatenated DER of the certificates in files (NULL-terminated). */
static unsigned char *
certs_der(const char *const *files, size_t *len)
{
	unsigned char *all = NULL, *der, *p;
	size_t n, total = 0;
	X509 *x;

	for (; *files != NULL; files++) {
		x = fuzz_cert(*files);
		der = fuzz_der(x, &n);
		if ((p = realloc(all, total + n)) == NULL)
			abort();
		all = p;
		memcpy(all + total, der, n);
		total += n;
		OPENSSL_free(der);
		X509_free(x);
	}
	*len = total;
	return all;
}

/*
 * The message protected again, as the client would have: a new DER to
 * OPENSSL_free, or NULL to take the input as it is.
 */
static unsigned char *
reprotect(const uint8_t *data, size_t size, enum prot_method pm,
    size_t *outlen)
{
	CMPD_MSG *m = NULL, *params = NULL;
	CMPD_HEADER *h = NULL;
	unsigned char *der = NULL;
	X509 *x;
	int r = -1;

	if (cmp_msg_decode(data, size, &m, &h) != 0)
		goto out;
	if (pm == PROT_SIGNATURE) {
		x = m->extraCerts != NULL && sk_X509_num(m->extraCerts) > 0 ?
		    sk_X509_value(m->extraCerts, 0) : NULL;
		if (x != NULL && X509_cmp(x, ee_rsa_cert) == 0)
			r = cmp_protect_sig(m, ee_rsa_key, ee_rsa_cert, NULL);
		else
			r = cmp_protect_sig(m, ee_key, ee_cert, NULL);
	} else {
		/* its own PBM parameters: a second copy to read them from */
		if (cmp_msg_decode(data, size, &params, &h) != 0)
			goto out;
		r = cmp_protect_pbm(m, params, (const unsigned char *)
		    FIXTURE_SECRET, strlen(FIXTURE_SECRET),
		    conf.pbm_iterations_max, 1);
	}
	if (r != 0 || cmp_msg_encode(m, &der, outlen) != 0) {
		der = NULL;
		goto out;
	}
 out:
	CMPD_MSG_free(m);
	CMPD_MSG_free(params);
	CMPD_HEADER_free(h);
	ERR_clear_error();
	return der;
}

static void
fuzz_server_done(void)
{
	cmp_server_done();
	cmp_ca_done();
	profile_done();
	fuzz_conn_done();
	EVP_PKEY_free(ee_key);
	EVP_PKEY_free(ee_rsa_key);
	X509_free(ee_cert);
	X509_free(ee_rsa_cert);
	OPENSSL_free(secret_blob);
	OPENSSL_free(key_blob);
	free(srv_der);
	free(anchors_der);
	free(chain_der);
	free(tx_cert_der);
	free(inv_cert_der);
	conf_free(&conf);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const srv[] = { "t/fixtures/srv.pem", NULL };
	static const char *const anchors[] = { "t/fixtures/root.pem",
		"t/fixtures/root-rsa.pem", NULL };
	static const char *const chain[] = { "t/fixtures/root.pem", NULL };
	static const char *const txc[] = { "t/fixtures/new.pem", NULL };
	static const char *const inv[] = { "t/fixtures/ee.pem", NULL };
	unsigned char *kder = NULL;
	EVP_PKEY *k;
	int n;

	fuzz_quiet();
	conf_init(&conf);
	if ((conf.server_name = strdup("CN=cmpd")) == NULL)
		abort();
	/* the fixtures' messageTime is the day they were made */
	conf.message_time_skew = 0;
	/* the fixtures use 500; more would only make each run slower */
	conf.pbm_iterations_max = 2000;
	fuzz_secret_init(&conf);
	seal((const unsigned char *)FIXTURE_SECRET, strlen(FIXTURE_SECRET),
	    "cmp_profile.shared_secret_enc", UUID_MAC, &secret_blob,
	    &secret_blob_len);
	k = fuzz_key("t/fixtures/srv.key");
	if ((n = i2d_PrivateKey(k, &kder)) <= 0)
		abort();
	seal(kder, (size_t)n, "cmp_profile.signing_key_enc", UUID_SIG,
	    &key_blob, &key_blob_len);
	OPENSSL_clear_free(kder, (size_t)n);
	EVP_PKEY_free(k);
	srv_der = certs_der(srv, &srv_der_len);
	anchors_der = certs_der(anchors, &anchors_der_len);
	chain_der = certs_der(chain, &chain_der_len);
	tx_cert_der = certs_der(txc, &tx_cert_der_len);
	inv_cert_der = certs_der(inv, &inv_cert_der_len);
	ee_key = fuzz_key("t/fixtures/ee.key");
	ee_cert = fuzz_cert("t/fixtures/ee.pem");
	ee_rsa_key = fuzz_key("t/fixtures/ee-rsa.key");
	ee_rsa_cert = fuzz_cert("t/fixtures/ee-rsa.pem");
	fuzz_conn_init();
	fuzz_db_rules(rules, NITEMS(rules));
	cmp_server_init(&conf);
	cmp_ca_init(&conf);
	atexit(fuzz_server_done);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the protection's check sets no device entry here (the fake
	 * database has none): the profile's secret */
	static const struct profile nodev;
	static const int fails[] = { CONN_UNAVAILABLE, CONN_REJECTED,
		CONN_NOT_FOUND, CONN_FAILED };
	struct cmp_result res;
	struct route rt;
	CMPD_MSG *m = NULL;
	CMPD_HEADER *h = NULL;
	const CMPD_HEADER *hdr;
	enum prot_method pm = PROT_SHARED_SECRET;
	unsigned char *again = NULL;
	size_t again_len = 0;
	unsigned int sel = 0xff, raw = 0, skew = 0, ckg = 0;
	int len;

	memset(&w, 0, sizeof(w));
	memset(&rt, 0, sizeof(rt));
	/* What the header says picks the profile and the world. */
	cmp_msg_decode(data, size, &m, &h);
	hdr = m != NULL ? m->header : h;
	if (hdr != NULL) {
		if (hdr->transactionID != NULL &&
		    (len = ASN1_STRING_length(hdr->transactionID)) > 0) {
			sel = ASN1_STRING_get0_data(hdr->transactionID)[len - 1];
			raw = (ASN1_STRING_get0_data(hdr->transactionID)[0] &
			    0x0f) == 0;
			skew = (ASN1_STRING_get0_data(hdr->transactionID)[0] &
			    0x10) != 0;
			ckg = (ASN1_STRING_get0_data(hdr->transactionID)[0] &
			    0x20) != 0;
		}
		if (hdr->recipNonce != NULL &&
		    (len = ASN1_STRING_length(hdr->recipNonce)) > 0 &&
		    (size_t)len <= sizeof(w.nonce)) {
			memcpy(w.nonce, ASN1_STRING_get0_data(hdr->recipNonce),
			    (size_t)len);
			w.nonce_len = (size_t)len;
		}
		if (cmp_msg_prot_method(hdr, &pm) != 0)
			pm = PROT_SHARED_SECRET;
	}

	conf.message_time_skew = skew ? 10L * 366 * 86400 : 0;
	w.tx = (int)(sel & 7);
	w.ckg = (int)ckg;
	w.v3gpp = (sel >> 5) == 2;
	w.disabled = (sel >> 5) == 3;
	w.cmp_uuid = pm == PROT_SIGNATURE ? UUID_SIG : UUID_MAC;
	fuzz_conn_status(((sel >> 3) & 3) == 0 ? fails[(sel >> 5) & 3] :
	    CONN_OK);
	fuzz_db_fail((sel >> 5) == 0);
	rt.kind = (sel >> 5) == 1 ? ROUTE_RA_PROFILE : ROUTE_CMP_PROFILE;
	snprintf(rt.name, sizeof(rt.name), "%s",
	    pm == PROT_SIGNATURE ? "fuzz-sig" : "fuzz-mac");

	if (m != NULL && !raw && hdr->protectionAlg != NULL)
		again = reprotect(data, size, pm, &again_len);
	CMPD_MSG_free(m);
	CMPD_HEADER_free(h);
	m = NULL;
	h = NULL;
	if (cmp_msg_decode(again != NULL ? again : data, again != NULL ?
	    again_len : size, &m, &h) == 0 &&
	    cmp_protect_requester(m, &nodev, &w.who) == 0)
		w.has_who = 1;
	CMPD_MSG_free(m);
	CMPD_HEADER_free(h);
	m = NULL;
	h = NULL;
	if (again != NULL)
		cmp_request_handle(&rt, again, again_len, &res);
	else
		cmp_request_handle(&rt, data, size, &res);
	OPENSSL_free(again);
	log_debug("sel %02x %s: %s -> %s, %s, HTTP %d", sel, rt.name,
	    res.req_type >= 0 ? cmp_asn1_body_name(res.req_type) : "-",
	    res.rsp_type >= 0 ? cmp_asn1_body_name(res.rsp_type) : "-",
	    cmp_error_def(res.fail)->name, res.http_status);
	/* Every answer is a PKIMessage, or an HTTP 500 without a body. */
	if (res.der == NULL && res.http_status != 500)
		abort();
	if (res.der != NULL) {
		if (cmp_msg_decode(res.der, res.der_len, &m, &h) != 0)
			abort();	/* we answered something undecodable */
		CMPD_MSG_free(m);
		CMPD_HEADER_free(h);
	}
	cmp_request_result_free(&res);
	if (fuzz_db_in_tx() != 0)
		abort();	/* a transaction left open */
	fuzz_db_fail(0);
	return 0;
}
