/*
 * cmpgenm - test client for general messages (genm/genp, RFC 9483 4.3) on
 * libcrypto: one genm with the InfoTypeAndValue asked for, sent and
 * checked by OSSL_CMP_exec_GENM_ses (protection, nonces, transactionID),
 * the genp's value decoded with cmpd's templates (src/cmp_itav.c) and
 * printed as key=value lines. `openssl cmp` of OpenSSL 3.0 knows none of
 * RFC 9483's types, hence this client.
 *
 *   cmpgenm -port P -path PATH (-secret S -ref R | -cert C -key K)
 *       [-trusted T] -type caCerts|rootCaCert|certReqTemplate|
 *       crlStatusList|OID [-old ROOT.pem] [-crl CRL.pem | -crlca CA.pem]
 *       [-thisupdate GENERALIZEDTIME] [-crlcount N] [-two] [-out FILE]
 *       [-reqout FILE] [-profile NAME]
 *
 * -old: the root the client has (rootCaCert's value); -crl: a CRLStatus
 * with that CRL's issuer and thisUpdate; -crlca: one with that CA
 * certificate's subject as issuer, and the thisUpdate given with
 * -thisupdate (YYYYMMDDHHMMSSZ) or none, N times with -crlcount; -two: a second InfoTypeAndValue
 * of the same type. -out gets the certificates or CRLs received (PEM),
 * -reqout the genm sent (DER). -profile puts certProfile NAME into the
 * header's generalInfo (RFC 9810 5.1.1.4), as OpenSSL 3.3's client does.
 * Exit 0 with a genp, 1 otherwise (status= says what the server said).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmp_itav.h"

static const char *port, *path, *secret, *ref, *certf, *keyf, *trustedf;
static const char *type, *oldf, *crlf, *crlcertf, *outf, *thisupd, *reqoutf;
static const char *profilename;
static int two, crlcount = 1;

/* The transfer, with the request written to -reqout first. */
static OSSL_CMP_MSG *
transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
	unsigned char *der = NULL;
	FILE *f;
	int len;

	if (reqoutf != NULL && (len = i2d_OSSL_CMP_MSG(req, &der)) > 0 &&
	    (f = fopen(reqoutf, "wb")) != NULL) {
		fwrite(der, 1, (size_t)len, f);
		fclose(f);
	}
	OPENSSL_free(der);
	return OSSL_CMP_MSG_http_perform(ctx, req);
}

static void *
load_pem(const char *file, int what)
{
	FILE *f = fopen(file, "r");
	void *v = NULL;

	if (f == NULL) {
		fprintf(stderr, "cmpgenm: %s: cannot open\n", file);
		exit(2);
	}
	if (what == 0)
		v = PEM_read_X509(f, NULL, NULL, NULL);
	else if (what == 1)
		v = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	else
		v = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	if (v == NULL) {
		fprintf(stderr, "cmpgenm: %s: cannot read\n", file);
		exit(2);
	}
	return v;
}

static void
fingerprint(const char *key, X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n, i;

	if (!X509_digest(x, EVP_sha256(), md, &n))
		return;
	printf("%s=", key);
	for (i = 0; i < n; i++)
		printf("%02x", md[i]);
	printf("\n");
}

static ASN1_TYPE *
seq_of(unsigned char *der, int len)
{
	ASN1_TYPE *t;

	if (len <= 0)
		exit(2);
	t = cmp_itav_seq_value(der, len);
	OPENSSL_free(der);
	return t;
}

/* The request's value for type, or NULL */
static ASN1_TYPE *
request_value(void)
{
	unsigned char *der = NULL;

	if (strcmp(type, "rootCaCert") == 0 && oldf != NULL) {
		X509 *x = load_pem(oldf, 0);
		int len = i2d_X509(x, &der);

		X509_free(x);
		return seq_of(der, len);
	}
	if (strcmp(type, "crlStatusList") == 0 &&
	    (crlf != NULL || crlcertf != NULL)) {
		CMPD_CRLSTATUSLIST *l = sk_CMPD_CRLSTATUS_new_null();
		CMPD_CRLSTATUS *st = CMPD_CRLSTATUS_new();
		GENERAL_NAME *gn = GENERAL_NAME_new();
		X509_CRL *crl = NULL;
		X509 *x = NULL;
		int len;

		if (crlf != NULL) {
			crl = load_pem(crlf, 2);
			GENERAL_NAME_set0_value(gn, GEN_DIRNAME,
			    X509_NAME_dup(X509_CRL_get_issuer(crl)));
			st->thisUpdate = ASN1_TIME_dup(
			    X509_CRL_get0_lastUpdate(crl));
		} else {
			x = load_pem(crlcertf, 0);
			GENERAL_NAME_set0_value(gn, GEN_DIRNAME,
			    X509_NAME_dup(X509_get_subject_name(x)));
			if (thisupd != NULL &&
			    ((st->thisUpdate = ASN1_TIME_new()) == NULL ||
			    !ASN1_TIME_set_string(st->thisUpdate, thisupd)))
				exit(2);
		}
		st->source->type = CMPD_CRLSOURCE_ISSUER;
		st->source->value.issuer = sk_GENERAL_NAME_new_null();
		sk_GENERAL_NAME_push(st->source->value.issuer, gn);
		sk_CMPD_CRLSTATUS_push(l, st);
		for (len = 1; len < crlcount; len++)
			sk_CMPD_CRLSTATUS_push(l, CMPD_CRLSTATUS_dup(st));
		len = i2d_CMPD_CRLSTATUSLIST(l, &der);
		CMPD_CRLSTATUSLIST_free(l);
		X509_CRL_free(crl);
		X509_free(x);
		return seq_of(der, len);
	}
	return NULL;
}

static const char *
request_oid(void)
{
	if (strcmp(type, "caCerts") == 0)
		return CMP_ITAV_OID_CACERTS;
	if (strcmp(type, "rootCaCert") == 0)
		return CMP_ITAV_OID_ROOTCACERT;
	if (strcmp(type, "certReqTemplate") == 0)
		return CMP_ITAV_OID_CERTREQTEMPLATE;
	if (strcmp(type, "crlStatusList") == 0)
		return CMP_ITAV_OID_CRLSTATUSLIST;
	return type;
}

static void
write_certs(STACK_OF(X509) *sk)
{
	FILE *f;
	int i;

	if (outf == NULL || (f = fopen(outf, "w")) == NULL)
		return;
	for (i = 0; i < sk_X509_num(sk); i++)
		PEM_write_X509(f, sk_X509_value(sk, i));
	fclose(f);
}

static void
print_template(const unsigned char *p, long len)
{
	CMPD_CERTREQTEMPLATE *t = d2i_CMPD_CERTREQTEMPLATE(NULL, &p, len);
	BIO *out = BIO_new_fp(stdout, BIO_NOCLOSE);
	char buf[128];
	int i;

	if (t == NULL) {
		printf("decoded=0\n");
		exit(1);
	}
	printf("decoded=1\n");
	if (t->certTemplate->subject != NULL) {
		BIO_printf(out, "subject=");
		X509_NAME_print_ex(out, t->certTemplate->subject, 0,
		    XN_FLAG_RFC2253);
		BIO_printf(out, "\n");
	}
	for (i = 0; i < sk_X509_EXTENSION_num(t->certTemplate->extensions);
	    i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(
		    t->certTemplate->extensions, i);

		OBJ_obj2txt(buf, sizeof(buf), X509_EXTENSION_get_object(e), 0);
		BIO_printf(out, "ext=%s%s:", buf,
		    X509_EXTENSION_get_critical(e) ? "(critical)" : "");
		X509V3_EXT_print(out, e, 0, 0);
		BIO_printf(out, "\n");
	}
	printf("publicKey=%d\n", t->certTemplate->publicKey != NULL);
	for (i = 0; i < sk_CMPD_ATAV_num(t->keySpec); i++) {
		CMPD_ATAV *a = sk_CMPD_ATAV_value(t->keySpec, i);
		const unsigned char *q;
		long n;

		if (cmp_itav_is(a->type, CMP_ITAV_OID_REGCTRL_RSAKEYLEN) &&
		    a->value->type == V_ASN1_INTEGER) {
			printf("rsaKeyLen=%ld\n",
			    ASN1_INTEGER_get(a->value->value.integer));
		} else if (cmp_itav_is(a->type, CMP_ITAV_OID_REGCTRL_ALGID) &&
		    cmp_itav_value_der(a->value, &q, &n) == 0) {
			X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &q, n);
			const ASN1_OBJECT *o;
			const void *pv;
			int pt;

			if (alg == NULL)
				exit(1);
			X509_ALGOR_get0(&o, &pt, &pv, alg);
			OBJ_obj2txt(buf, sizeof(buf), o, 0);
			printf("algId=%s", buf);
			if (pt == V_ASN1_OBJECT) {
				OBJ_obj2txt(buf, sizeof(buf), pv, 0);
				printf(":%s", buf);
			}
			printf("\n");
			X509_ALGOR_free(alg);
		} else {
			OBJ_obj2txt(buf, sizeof(buf), a->type, 1);
			printf("control=%s\n", buf);
		}
	}
	BIO_free(out);
	CMPD_CERTREQTEMPLATE_free(t);
}

static void
print_value(const char *oid, const ASN1_TYPE *v)
{
	const unsigned char *p;
	long len;

	if (v == NULL) {
		printf("value=absent\n");
		return;
	}
	printf("value=present\n");
	if (cmp_itav_value_der(v, &p, &len) != 0) {
		printf("decoded=0\n");
		return;
	}
	if (strcmp(oid, CMP_ITAV_OID_CACERTS) == 0) {
		CMPD_CERTSEQ *sk = d2i_CMPD_CERTSEQ(NULL, &p, len);
		int i;

		printf("decoded=%d\ncerts=%d\n", sk != NULL, sk_X509_num(sk));
		for (i = 0; i < sk_X509_num(sk); i++)
			fingerprint("fp", sk_X509_value(sk, i));
		write_certs(sk);
		sk_X509_pop_free(sk, X509_free);
	} else if (strcmp(oid, CMP_ITAV_OID_ROOTCAKEYUPDATE) == 0) {
		CMPD_ROOTCAKEYUPDATE *u = d2i_CMPD_ROOTCAKEYUPDATE(NULL, &p,
		    len);
		STACK_OF(X509) *sk = sk_X509_new_null();

		printf("decoded=%d\n", u != NULL);
		if (u == NULL)
			exit(1);
		fingerprint("newWithNew", u->newWithNew);
		printf("newWithOld=%d\noldWithNew=%d\n", u->newWithOld != NULL,
		    u->oldWithNew != NULL);
		/* the links: newWithOld by the old key, oldWithNew by the
		 * new one (RFC 9810 4.4) */
		if (oldf != NULL && u->newWithOld != NULL) {
			X509 *old = load_pem(oldf, 0);

			printf("newWithOld_by_old=%d\n", X509_verify(
			    u->newWithOld, X509_get0_pubkey(old)) == 1);
			X509_free(old);
		}
		if (u->oldWithNew != NULL)
			printf("oldWithNew_by_new=%d\n", X509_verify(
			    u->oldWithNew, X509_get0_pubkey(u->newWithNew)) ==
			    1);
		printf("newWithNew_self_signed=%d\n", X509_verify(u->newWithNew,
		    X509_get0_pubkey(u->newWithNew)) == 1);
		sk_X509_push(sk, u->newWithNew);
		write_certs(sk);
		sk_X509_free(sk);
		CMPD_ROOTCAKEYUPDATE_free(u);
	} else if (strcmp(oid, CMP_ITAV_OID_CERTREQTEMPLATE) == 0) {
		print_template(p, len);
	} else if (strcmp(oid, CMP_ITAV_OID_CRLS) == 0) {
		CMPD_CRLSEQ *sk = d2i_CMPD_CRLSEQ(NULL, &p, len);
		BIO *out = BIO_new_fp(stdout, BIO_NOCLOSE);
		FILE *f;
		int i;

		printf("decoded=%d\ncrls=%d\n", sk != NULL,
		    sk_X509_CRL_num(sk));
		for (i = 0; i < sk_X509_CRL_num(sk); i++) {
			BIO_printf(out, "crl_issuer=");
			X509_NAME_print_ex(out, X509_CRL_get_issuer(
			    sk_X509_CRL_value(sk, i)), 0, XN_FLAG_RFC2253);
			BIO_printf(out, "\n");
		}
		if (outf != NULL && sk_X509_CRL_num(sk) > 0 &&
		    (f = fopen(outf, "w")) != NULL) {
			PEM_write_X509_CRL(f, sk_X509_CRL_value(sk, 0));
			fclose(f);
		}
		BIO_free(out);
		sk_X509_CRL_pop_free(sk, X509_CRL_free);
	}
}

int
main(int argc, char *argv[])
{
	STACK_OF(OSSL_CMP_ITAV) *itavs;
	OSSL_CMP_CTX *ctx;
	X509_NAME *rcpt;
	char buf[1024];
	int i, n;

	for (i = 1; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(k, "-two") == 0) {
			two = 1;
			continue;
		}
		if (v == NULL)
			goto usage;
		i++;
		if (strcmp(k, "-port") == 0) port = v;
		else if (strcmp(k, "-path") == 0) path = v;
		else if (strcmp(k, "-secret") == 0) secret = v;
		else if (strcmp(k, "-ref") == 0) ref = v;
		else if (strcmp(k, "-cert") == 0) certf = v;
		else if (strcmp(k, "-key") == 0) keyf = v;
		else if (strcmp(k, "-trusted") == 0) trustedf = v;
		else if (strcmp(k, "-type") == 0) type = v;
		else if (strcmp(k, "-old") == 0) oldf = v;
		else if (strcmp(k, "-crl") == 0) crlf = v;
		else if (strcmp(k, "-crlca") == 0) crlcertf = v;
		else if (strcmp(k, "-thisupdate") == 0) thisupd = v;
		else if (strcmp(k, "-crlcount") == 0) crlcount = atoi(v);
		else if (strcmp(k, "-out") == 0) outf = v;
		else if (strcmp(k, "-reqout") == 0) reqoutf = v;
		else if (strcmp(k, "-profile") == 0) profilename = v;
		else
			goto usage;
	}
	if (port == NULL || path == NULL || type == NULL ||
	    (secret == NULL && certf == NULL))
		goto usage;

	if ((ctx = OSSL_CMP_CTX_new(NULL, NULL)) == NULL)
		return 2;
	OSSL_CMP_CTX_set1_server(ctx, "127.0.0.1");
	OSSL_CMP_CTX_set_serverPort(ctx, atoi(port));
	OSSL_CMP_CTX_set1_serverPath(ctx, path);
	OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_MSG_TIMEOUT, 20);
	OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_TOTAL_TIMEOUT, 40);
	OSSL_CMP_CTX_set_transfer_cb(ctx, transfer);
	rcpt = X509_NAME_new();
	X509_NAME_add_entry_by_txt(rcpt, "CN", MBSTRING_ASC,
	    (const unsigned char *)"cmpd", -1, -1, 0);
	OSSL_CMP_CTX_set1_recipient(ctx, rcpt);
	X509_NAME_free(rcpt);
	if (secret != NULL) {
		OSSL_CMP_CTX_set1_secretValue(ctx,
		    (const unsigned char *)secret, (int)strlen(secret));
		if (ref != NULL)
			OSSL_CMP_CTX_set1_referenceValue(ctx,
			    (const unsigned char *)ref, (int)strlen(ref));
		/* a sender name for the header (RFC 9810 5.1.1) */
		rcpt = X509_NAME_new();
		X509_NAME_add_entry_by_txt(rcpt, "CN", MBSTRING_ASC,
		    (const unsigned char *)"genm-client", -1, -1, 0);
		OSSL_CMP_CTX_set1_subjectName(ctx, rcpt);
		X509_NAME_free(rcpt);
	} else {
		X509 *c = load_pem(certf, 0);
		EVP_PKEY *k = load_pem(keyf, 1);

		OSSL_CMP_CTX_set1_cert(ctx, c);
		OSSL_CMP_CTX_set1_pkey(ctx, k);
		X509_free(c);
		EVP_PKEY_free(k);
	}
	if (trustedf != NULL) {
		X509_STORE *st = X509_STORE_new();
		X509 *t = load_pem(trustedf, 0);

		X509_STORE_add_cert(st, t);
		X509_free(t);
		OSSL_CMP_CTX_set0_trustedStore(ctx, st);
	}
	for (n = 0; n < (two ? 2 : 1); n++) {
		OSSL_CMP_ITAV *itav = OSSL_CMP_ITAV_create(
		    OBJ_txt2obj(request_oid(), 0), request_value());

		if (itav == NULL || !OSSL_CMP_CTX_push0_genm_ITAV(ctx, itav))
			return 2;
	}

	if (profilename != NULL) {
		CMPD_CERTPROFILE *names = sk_ASN1_UTF8STRING_new_null();
		ASN1_UTF8STRING *s = ASN1_UTF8STRING_new();
		unsigned char *der = NULL;
		OSSL_CMP_ITAV *itav;
		int len;

		if (names == NULL || s == NULL ||
		    !ASN1_STRING_set(s, profilename, -1) ||
		    !sk_ASN1_UTF8STRING_push(names, s) ||
		    (len = i2d_CMPD_CERTPROFILE(names, &der)) <= 0 ||
		    (itav = OSSL_CMP_ITAV_create(cmp_itav_oid(
		    CMP_ITAV_OID_CERTPROFILE), cmp_itav_seq_value(der,
		    len))) == NULL ||
		    !OSSL_CMP_CTX_push0_geninfo_ITAV(ctx, itav))
			return 2;
		OPENSSL_free(der);
		CMPD_CERTPROFILE_free(names);
	}
	itavs = OSSL_CMP_exec_GENM_ses(ctx);
	if (OSSL_CMP_CTX_snprint_PKIStatus(ctx, buf, sizeof(buf)) != NULL)
		printf("status=%s\n", buf);
	if (itavs == NULL) {
		ERR_print_errors_fp(stderr);
		OSSL_CMP_CTX_free(ctx);
		return 1;
	}
	printf("itavs=%d\n", sk_OSSL_CMP_ITAV_num(itavs));
	for (i = 0; i < sk_OSSL_CMP_ITAV_num(itavs); i++) {
		OSSL_CMP_ITAV *itav = sk_OSSL_CMP_ITAV_value(itavs, i);

		OBJ_obj2txt(buf, sizeof(buf), OSSL_CMP_ITAV_get0_type(itav), 1);
		printf("infoType=%s\n", buf);
		print_value(buf, OSSL_CMP_ITAV_get0_value(itav));
	}
	sk_OSSL_CMP_ITAV_pop_free(itavs, OSSL_CMP_ITAV_free);
	OSSL_CMP_CTX_free(ctx);
	return 0;
 usage:
	fprintf(stderr, "usage: cmpgenm -port P -path PATH (-secret S -ref R "
	    "| -cert C -key K) [-trusted T] -type TYPE [-old ROOT] "
	    "[-crl CRL | -crlca CA [-thisupdate T] [-crlcount N]] [-two] "
	    "[-out FILE]\n");
	return 2;
}
