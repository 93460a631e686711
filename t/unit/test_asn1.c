/*
 * Unit test for cmp_asn1.c: the RFC 9810 ASN.1 module.
 *
 *  (a) every t/fixtures/<body>-*.der (captured from real clients) decodes,
 *      is consumed entirely, re-encodes byte for byte, has the body type
 *      its name says;
 *  (b) a message of every body type 0..26 built in memory round-trips;
 *  (c) CertStatus.hashAlg (RFC 9480/9810) round-trips;
 *  (d) garbage, truncation, trailing bytes, BER and deep nesting are
 *      rejected without crashing or leaking.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* asprintf, memmem */
#endif

#include <sys/types.h>

#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cmp.h>
#include <openssl/cms.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "asn1_build.h"
#include "cmp_asn1.h"
#include "tap.h"

#define MAX_FIXTURE	(1024 * 1024)
#define NEST_DEEP	100

/* ---- checks ---- */

/* i2d, d2i, i2d again; the result is returned decoded in *outp. */
static int
roundtrip(const CMPD_MSG *m, const char *what, CMPD_MSG **outp)
{
	unsigned char *der1 = NULL, *der2 = NULL;
	const unsigned char *p;
	CMPD_MSG *m2 = NULL;
	int len1, len2 = -1, good = 0;

	*outp = NULL;
	if ((len1 = i2d_CMPD_MSG(m, &der1)) <= 0) {
		ok(0, "%s: encodes", what);
		goto out;
	}
	p = der1;
	if ((m2 = d2i_CMPD_MSG(NULL, &p, len1)) == NULL) {
		ok(0, "%s: decodes", what);
		goto out;
	}
	len2 = i2d_CMPD_MSG(m2, &der2);
	good = p == der1 + len1 && len2 == len1 &&
	    memcmp(der1, der2, len1) == 0;
	ok(good, "%s: %d bytes round-trip", what, len1);
 out:
	OPENSSL_free(der1);
	OPENSSL_free(der2);
	if (good)
		*outp = m2;
	else
		CMPD_MSG_free(m2);
	return good;
}

static int
read_file(const char *path, unsigned char **bufp, size_t *lenp)
{
	FILE *f;
	unsigned char *buf = NULL;
	size_t len = 0, n;
	int r = -1;

	*bufp = NULL;
	*lenp = 0;
	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if ((buf = malloc(MAX_FIXTURE)) == NULL)
		goto out;
	while ((n = fread(buf + len, 1, MAX_FIXTURE - len, f)) > 0)
		len += n;
	if (ferror(f) || len == MAX_FIXTURE)
		goto out;
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	r = 0;
 out:
	free(buf);
	fclose(f);
	return r;
}

static int
is_der_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 &&
	    strcmp(d->d_name + n - 4, ".der") == 0;
}

/* (a) */
static void
test_fixtures(void)
{
	struct dirent **ents = NULL;
	const char *top;
	char dir[PATH_MAX], prefix[64];
	int i, n, want;

	if ((top = getenv("top_srcdir")) == NULL || *top == '\0')
		top = ".";
	snprintf(dir, sizeof(dir), "%s/t/fixtures", top);
	if ((n = scandir(dir, &ents, is_der_name, alphasort)) < 0) {
		ok(0, "fixtures: cannot read %s", dir);
		return;
	}
	ok(n >= 5, "fixtures: %d in %s (need at least 5)", n, dir);
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		unsigned char *buf = NULL, *der = NULL;
		const unsigned char *p;
		CMPD_MSG *m = NULL;
		char *path = NULL;
		size_t len, plen;
		int dlen;

		if (asprintf(&path, "%s/%s", dir, name) == -1) {
			path = NULL;
			ok(0, "%s: path", name);
			goto next;
		}
		plen = strcspn(name, "-.");
		if (plen >= sizeof(prefix))
			plen = sizeof(prefix) - 1;
		memcpy(prefix, name, plen);
		prefix[plen] = '\0';
		want = cmp_asn1_body_type_from_name(prefix);
		ok(want >= 0, "%s: prefix \"%s\" is a body name", name, prefix);

		if (read_file(path, &buf, &len) != 0) {
			ok(0, "%s: readable", name);
			goto next;
		}
		p = buf;
		m = d2i_CMPD_MSG(NULL, &p, (long)len);
		if (!ok(m != NULL, "%s: decodes as PKIMessage", name))
			goto next;
		ok(p == buf + len, "%s: all %zu bytes consumed", name, len);
		dlen = i2d_CMPD_MSG(m, &der);
		ok(dlen == (int)len && memcmp(der, buf, len) == 0,
		    "%s: re-encodes byte for byte", name);
		is_int(m->body->type, want, "%s: body type %s", name,
		    cmp_asn1_body_name(m->body->type));
		CMPD_MSG_free(m);
		m = NULL;
		is_int(cmp_asn1_msg_decode(buf, len, CMP_ASN1_STRICT_DER, &m),
		    CMP_ASN1_OK, "%s: strict decode", name);
 next:
		ERR_clear_error();
		CMPD_MSG_free(m);
		OPENSSL_free(der);
		free(buf);
		free(path);
		free(ents[i]);
	}
	free(ents);
}

/*
 * libcrypto 3.0's own (opaque) OSSL_CMP_MSG must read our encoding to the
 * same DER: an independent check of the tagging.
 */
static int
libcrypto_agrees(const CMPD_MSG *m)
{
	unsigned char *der = NULL, *der2 = NULL;
	const unsigned char *p;
	OSSL_CMP_MSG *om = NULL;
	int len, len2 = -1, same;

	if ((len = i2d_CMPD_MSG(m, &der)) > 0) {
		p = der;
		if ((om = d2i_OSSL_CMP_MSG(NULL, &p, len)) != NULL &&
		    p == der + len)
			len2 = i2d_OSSL_CMP_MSG(om, &der2);
	}
	same = len > 0 && len2 == len && memcmp(der, der2, len) == 0;
	ERR_clear_error();
	OSSL_CMP_MSG_free(om);
	OPENSSL_free(der);
	OPENSSL_free(der2);
	return same;
}

/* (b) */
static void
test_all_bodies(void)
{
	CMPD_MSG *m, *m2, *d;
	int type;
	char what[64];

	for (type = 0; type <= CMPD_BODY_MAX; type++) {
		snprintf(what, sizeof(what), "body %d (%s)", type,
		    cmp_asn1_body_name(type));
		if ((m = build_msg(type)) == NULL) {
			ok(0, "%s: built", what);
			ERR_clear_error();
			continue;
		}
		if (roundtrip(m, what, &m2)) {
			is_int(m2->body->type, type, "%s: type kept", what);
			d = CMPD_MSG_dup(m2);
			ok(d != NULL && d->body->type == type,
			    "%s: CMPD_MSG_dup", what);
			CMPD_MSG_free(d);
			CMPD_MSG_free(m2);
		}
		/* cp and popdecc carry EnvelopedData, which 3.0 lacks */
		if (type != CMPD_BODY_CP && type != CMPD_BODY_POPDECC)
			ok(libcrypto_agrees(m),
			    "%s: libcrypto's OSSL_CMP_MSG reads the same DER",
			    what);
		CMPD_MSG_free(m);
	}
}

/* Checks the EnvelopedData representations (see cmp_asn1.h) decode back. */
static void
test_envelopeddata(void)
{
	CMPD_MSG *m = NULL, *m2 = NULL;
	CMPD_CERTIFIEDKEYPAIR *ckp;
	CMPD_CHALLENGE *ch;
	const unsigned char *envdata_der;
	unsigned char *der = NULL;
	int len, hl, envdata_len = build_envdata(&envdata_der);

	if ((m = build_msg(CMPD_BODY_CP)) == NULL ||
	    !roundtrip(m, "cp with envelopedData", &m2)) {
		ok(0, "cp with envelopedData built");
		goto out;
	}
	ckp = sk_CMPD_CERTRESPONSE_value(m2->body->value.cp->response, 0)->
	    certifiedKeyPair;
	is_int(ckp->certOrEncCert->type, CMPD_CERTORENCCERT_ENCRYPTEDCERT,
	    "cp: certOrEncCert is encryptedCert");
	is_int(ckp->certOrEncCert->value.encryptedCert->type,
	    CMPD_ENCRYPTEDKEY_ENVELOPEDDATA, "cp: encryptedCert is envelopedData");
	is_int(ckp->privateKey->type, CMPD_ENCRYPTEDKEY_ENVELOPEDDATA,
	    "cp: privateKey is envelopedData");
	len = i2d_ASN1_SEQUENCE_ANY(
	    ckp->certOrEncCert->value.encryptedCert->value.envelopedData, &der);
	ok(len == envdata_len && memcmp(der, envdata_der, len) == 0,
	    "cp: envelopedData converts back to the CMS EnvelopedData DER");
	OPENSSL_free(der);
	der = NULL;
	CMPD_MSG_free(m);
	CMPD_MSG_free(m2);
	m = m2 = NULL;

	/* IMPLICIT [0] in EncryptedKey: the EnvelopedData with 0x30 -> 0xA0 */
	if ((ckp = build_ckp(1, 0)) == NULL ||
	    (len = i2d_CMPD_ENCRYPTEDKEY(ckp->certOrEncCert->value.encryptedCert,
	    &der)) <= 2) {
		ok(0, "EncryptedKey encodes");
		CMPD_CERTIFIEDKEYPAIR_free(ckp);
		goto out;
	}
	ok(len == envdata_len && der[0] == 0xa0 &&
	    memcmp(der + 1, envdata_der + 1, len - 1) == 0,
	    "EncryptedKey.envelopedData is IMPLICIT [0] (RFC 4211)");
	OPENSSL_free(der);
	der = NULL;
	CMPD_CERTIFIEDKEYPAIR_free(ckp);

	/* EXPLICIT [0] in Challenge: 0xA0 then the EnvelopedData SEQUENCE */
	if ((m = build_msg(CMPD_BODY_POPDECC)) == NULL ||
	    !roundtrip(m, "popdecc with encryptedRand", &m2)) {
		ok(0, "popdecc built");
		goto out;
	}
	ch = sk_CMPD_CHALLENGE_value(m2->body->value.popdecc, 0);
	len = i2d_CMPD_CHALLENGE(ch, &der);
	hl = dbuf_hdrlen(envdata_len);
	ok(len > envdata_len + hl && der[len - envdata_len - hl] == 0xa0 &&
	    memcmp(der + len - envdata_len, envdata_der, envdata_len) == 0,
	    "Challenge.encryptedRand is EXPLICIT [0] around EnvelopedData");
 out:
	ERR_clear_error();
	OPENSSL_free(der);
	CMPD_MSG_free(m);
	CMPD_MSG_free(m2);
}

/* (c) */
static void
test_certstatus_hashalg(void)
{
	static const unsigned char sha256_oid[] = {
		0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01
	};
	CMPD_MSG *m = NULL, *m2 = NULL;
	CMPD_CERTSTATUS *cs, *cs2 = NULL;
	unsigned char *der = NULL, *hit;
	const unsigned char *p;
	int len;

	if ((m = build_msg(CMPD_BODY_CERTCONF)) == NULL) {
		ok(0, "certConf built");
		goto out;
	}
	cs = sk_CMPD_CERTSTATUS_value(m->body->value.certConf, 0);
	if ((cs->hashAlg = build_algor_md(EVP_sha256())) == NULL) {
		ok(0, "hashAlg set");
		goto out;
	}
	if (!roundtrip(m, "certConf with hashAlg", &m2))
		goto out;
	cs = sk_CMPD_CERTSTATUS_value(m2->body->value.certConf, 0);
	ok(cs->hashAlg != NULL &&
	    OBJ_obj2nid(cs->hashAlg->algorithm) == NID_sha256,
	    "certConf: hashAlg sha256 decoded");
	ok(cs->statusInfo != NULL, "certConf: statusInfo kept");

	len = i2d_CMPD_CERTSTATUS(cs, &der);
	hit = len > 0 ? memmem(der, len, sha256_oid, sizeof(sha256_oid)) :
	    NULL;
	ok(hit != NULL && hit - der >= 4 && hit[-4] == 0xa0 &&
	    hit[-2] == 0x30, "CertStatus: hashAlg is EXPLICIT [0]");
	p = der;
	cs2 = d2i_CMPD_CERTSTATUS(NULL, &p, len);
	ok(cs2 != NULL && p == der + len && cs2->hashAlg != NULL,
	    "CertStatus: standalone d2i");
	CMPD_CERTSTATUS_free(cs2);
	cs2 = NULL;

	/* and without it, as sent by OpenSSL 3.0 */
	X509_ALGOR_free(cs->hashAlg);
	cs->hashAlg = NULL;
	OPENSSL_free(der);
	der = NULL;
	len = i2d_CMPD_CERTSTATUS(cs, &der);
	p = der;
	cs2 = d2i_CMPD_CERTSTATUS(NULL, &p, len);
	ok(cs2 != NULL && cs2->hashAlg == NULL,
	    "CertStatus: hashAlg absent decodes as NULL");
 out:
	ERR_clear_error();
	CMPD_CERTSTATUS_free(cs2);
	OPENSSL_free(der);
	CMPD_MSG_free(m);
	CMPD_MSG_free(m2);
}

/* Wraps inner in NEST_DEEP (or depth) layers of PKIMessage/nested. */
static int
build_nested(const unsigned char *inner, size_t innerlen,
    const unsigned char *hdr, size_t hdrlen, int depth, struct dbuf *out)
{
	struct dbuf cur = { NULL, 0 }, seq, body, msg;
	int i, r = -1;

	if (dbuf_add(&cur, inner, innerlen) != 0)
		return -1;
	for (i = 0; i < depth; i++) {
		seq.p = body.p = msg.p = NULL;
		seq.len = body.len = msg.len = 0;
		if (dbuf_tlv(&seq, 0x30, cur.p, cur.len) != 0 ||  /* PKIMessages */
		    dbuf_add(&body, hdr, hdrlen) != 0 ||
		    dbuf_tlv(&body, 0xb4, seq.p, seq.len) != 0 || /* [20] */
		    dbuf_tlv(&msg, 0x30, body.p, body.len) != 0) {
			free(seq.p);
			free(body.p);
			free(msg.p);
			goto out;
		}
		free(seq.p);
		free(body.p);
		free(cur.p);
		cur = msg;
	}
	*out = cur;
	cur.p = NULL;
	r = 0;
 out:
	free(cur.p);
	return r;
}

/* (d) */
static void
test_bad_input(void)
{
	static const unsigned char garbage[] = "this is not a PKIMessage";
	CMPD_MSG *m = NULL, *d = NULL;
	CMPD_HEADER *h = NULL;
	unsigned char *der = NULL, *hdr = NULL, *big = NULL;
	const unsigned char *p;
	struct dbuf nest = { NULL, 0 }, ber = { NULL, 0 };
	uint32_t rnd = 0x12345678;
	size_t i, j, rlen;
	unsigned char rbuf[256];
	int len, hdrlen, bad, maxok;

	p = garbage;
	ok(d2i_CMPD_MSG(NULL, &p, sizeof(garbage)) == NULL,
	    "garbage: rejected");
	is_int(cmp_asn1_msg_decode(garbage, sizeof(garbage), 0, &d),
	    CMP_ASN1_ERR_PARSE, "garbage: cmp_asn1_msg_decode says parse error");
	ok(d == NULL, "garbage: no message returned");
	is_int(cmp_asn1_msg_decode(garbage, 0, 0, &d), CMP_ASN1_ERR_LENGTH,
	    "empty input: length error");
	is_int(cmp_asn1_msg_decode(NULL, 10, 0, &d), CMP_ASN1_ERR_LENGTH,
	    "NULL input: length error");

	/* pseudo-random bytes, some starting like a SEQUENCE */
	bad = 0;
	for (i = 0; i < 2000; i++) {
		rnd = rnd * 1103515245 + 12345;
		rlen = 1 + (rnd >> 8) % sizeof(rbuf);
		for (j = 0; j < rlen; j++) {
			rnd = rnd * 1103515245 + 12345;
			rbuf[j] = rnd >> 24;
		}
		if (i % 2 == 0) {
			rbuf[0] = 0x30;
			if (rlen > 1)
				rbuf[1] = 0x80 | (rbuf[1] & 0x03);
		}
		if (cmp_asn1_msg_decode(rbuf, rlen, 0, &d) == CMP_ASN1_OK) {
			bad++;
			CMPD_MSG_free(d);
			d = NULL;
		}
	}
	is_int(bad, 0, "random bytes: 2000 buffers rejected");
	ERR_clear_error();

	if ((m = build_msg(CMPD_BODY_IP)) == NULL ||
	    (len = i2d_CMPD_MSG(m, &der)) <= 0) {
		ok(0, "ip message for truncation built");
		goto out;
	}

	/* every proper prefix must fail */
	bad = 0;
	for (i = 0; i < (size_t)len; i++) {
		p = der;
		if ((d = d2i_CMPD_MSG(NULL, &p, (long)i)) != NULL) {
			bad++;
			CMPD_MSG_free(d);
			d = NULL;
		}
	}
	is_int(bad, 0, "truncated: all %d prefixes rejected", len);
	ERR_clear_error();

	/* trailing bytes after a complete message */
	if ((big = malloc(len * 2)) == NULL)
		goto out;
	memcpy(big, der, len);
	memcpy(big + len, der, len);
	is_int(cmp_asn1_msg_decode(big, len + 1, 0, &d), CMP_ASN1_ERR_TRAILING,
	    "trailing byte: rejected");
	ok(d == NULL, "trailing byte: no message returned");
	is_int(cmp_asn1_msg_decode(big, len * 2, 0, &d), CMP_ASN1_ERR_TRAILING,
	    "second message appended: rejected");
	is_int(cmp_asn1_msg_decode(big, len, CMP_ASN1_STRICT_DER, &d),
	    CMP_ASN1_OK, "exact length: accepted");
	CMPD_MSG_free(d);
	d = NULL;

	/* BER: indefinite-length outer SEQUENCE */
	{
		const unsigned char *q = der;
		long clen;
		int tag, cls;

		if (ASN1_get_object(&q, &clen, &tag, &cls, len) & 0x80)
			goto out;
		if (dbuf_add(&ber, "\x30\x80", 2) != 0 ||
		    dbuf_add(&ber, q, clen) != 0 ||
		    dbuf_add(&ber, "\x00\x00", 2) != 0)
			goto out;
	}
	is_int(cmp_asn1_msg_decode(ber.p, ber.len, 0, &d), CMP_ASN1_OK,
	    "BER indefinite length: accepted when not strict");
	CMPD_MSG_free(d);
	d = NULL;
	is_int(cmp_asn1_msg_decode(ber.p, ber.len, CMP_ASN1_STRICT_DER, &d),
	    CMP_ASN1_ERR_NOT_DER, "BER indefinite length: rejected when strict");
	ok(d == NULL, "BER: no message returned");
	ERR_clear_error();

	/* deep nesting: PKIMessage -> nested -> PKIMessage ... */
	OPENSSL_free(der);
	der = NULL;
	CMPD_MSG_free(m);
	if ((m = build_msg(CMPD_BODY_PKICONF)) == NULL ||
	    (len = i2d_CMPD_MSG(m, &der)) <= 0 ||
	    (h = build_header()) == NULL ||
	    (hdrlen = i2d_CMPD_HEADER(h, &hdr)) <= 0 ||
	    build_nested(der, len, hdr, hdrlen, NEST_DEEP, &nest) != 0) {
		ok(0, "nested message built");
		goto out;
	}
	p = nest.p;
	d = d2i_CMPD_MSG(NULL, &p, (long)nest.len);
	ok(d == NULL, "nested %d levels (%zu bytes): rejected", NEST_DEEP,
	    nest.len);
	CMPD_MSG_free(d);
	d = NULL;
	is_int(cmp_asn1_msg_decode(nest.p, nest.len, 0, &d), CMP_ASN1_ERR_PARSE,
	    "nested %d levels: parse error", NEST_DEEP);
	free(nest.p);
	nest.p = NULL;
	ERR_clear_error();

	/* shallow nesting still works; find where libcrypto stops */
	maxok = -1;
	for (i = 0; i <= 40; i++) {
		if (build_nested(der, len, hdr, hdrlen, (int)i, &nest) != 0)
			break;
		if (cmp_asn1_msg_decode(nest.p, nest.len, CMP_ASN1_STRICT_DER,
		    &d) == CMP_ASN1_OK)
			maxok = (int)i;
		CMPD_MSG_free(d);
		d = NULL;
		free(nest.p);
		nest.p = NULL;
	}
	ERR_clear_error();
	diag("libcrypto decodes up to %d nested levels", maxok);
	ok(maxok >= 3 && maxok < 40, "nesting: up to %d levels decode", maxok);
 out:
	ERR_clear_error();
	free(nest.p);
	free(ber.p);
	free(big);
	OPENSSL_free(hdr);
	OPENSSL_free(der);
	CMPD_HEADER_free(h);
	CMPD_MSG_free(d);
	CMPD_MSG_free(m);
}

static void
test_names(void)
{
	int i, good = 1;

	for (i = 0; i <= CMPD_BODY_MAX; i++) {
		if (cmp_asn1_body_type_from_name(cmp_asn1_body_name(i)) != i)
			good = 0;
	}
	ok(good, "body names: all %d map back to their type", CMPD_BODY_MAX + 1);
	is_str(cmp_asn1_body_name(CMPD_BODY_IR), "ir", "body name 0");
	is_str(cmp_asn1_body_name(CMPD_BODY_P10CR), "p10cr", "body name 4");
	is_str(cmp_asn1_body_name(CMPD_BODY_CERTCONF), "certConf",
	    "body name 24");
	is_str(cmp_asn1_body_name(CMPD_BODY_POLLREP), "pollRep",
	    "body name 26");
	is_str(cmp_asn1_body_name(27), "unknown", "body name 27");
	is_str(cmp_asn1_body_name(-1), "unknown", "body name -1");
	is_int(cmp_asn1_body_type_from_name("certconf"), -1,
	    "body names are case sensitive");
	is_int(cmp_asn1_body_type_from_name("bogus"), -1, "unknown name");
	is_int(cmp_asn1_body_type_from_name(NULL), -1, "NULL name");

	is_str(cmp_asn1_failinfo_name(CMPD_FAIL_BADALG), "badAlg", "failinfo 0");
	is_str(cmp_asn1_failinfo_name(CMPD_FAIL_BADREQUEST), "badRequest",
	    "failinfo 2");
	is_str(cmp_asn1_failinfo_name(CMPD_FAIL_TRANSACTIONIDINUSE),
	    "transactionIdInUse", "failinfo 21");
	is_str(cmp_asn1_failinfo_name(CMPD_FAIL_DUPLICATECERTREQ),
	    "duplicateCertReq", "failinfo 26");
	is_str(cmp_asn1_failinfo_name(27), "unknown", "failinfo 27");

	is_str(cmp_asn1_status_name(CMPD_PKISTATUS_ACCEPTED), "accepted",
	    "status 0");
	is_str(cmp_asn1_status_name(CMPD_PKISTATUS_WAITING), "waiting",
	    "status 3");
	is_str(cmp_asn1_status_name(CMPD_PKISTATUS_KEYUPDATEWARNING),
	    "keyUpdateWarning", "status 6");
	is_str(cmp_asn1_status_name(7), "unknown", "status 7");
	is_str(cmp_asn1_status_name(-1), "unknown", "status -1");
}

int
main(void)
{
	if (!ok(build_setup() == 0, "test credentials created")) {
		build_teardown();
		return done_testing();
	}
	test_names();
	test_fixtures();
	test_all_bodies();
	test_envelopeddata();
	test_certstatus_hashalg();
	test_bad_input();
	build_teardown();
	return done_testing();
}
