/*
 * cmp3gpp - test client for the 3GPP (TS 33.310 clause 9.5) bootstrap: an ir
 * signed with the device's vendor certificate, whose ip is trusted through
 * the self-issued operator root in its own extraCerts
 * (OSSL_CMP_OPT_PERMIT_TA_IN_EXTRACERTS_FOR_IR).  The app `openssl cmp` of
 * OpenSSL 3.0 has no option for this, so the test drives libcrypto directly.
 *
 *   cmp3gpp PORT PATH TRUSTED VENDOR-CERT VENDOR-KEY NEW-KEY SUBJECT OUT [plain]
 *
 * TRUSTED is the only trust store the client has (the vendor root, say: it
 * does not cover the operator side).  OUT receives the new certificate.
 * Exit status 0 when the ip was accepted, 1 otherwise; libcrypto's log goes
 * to stderr.  With "plain" the option is left off (the control case).
 *
 * The client asks for implicitConfirm: libcrypto 3.0 takes the operator root
 * from extraCerts for the ip only, and then checks the cached signer of the
 * ip against the pkiconf again (its check_msg_given_cert), where the 3GPP
 * exception does not apply, so a 3.0 client cannot accept a pkiconf it has
 * no anchor for.  With implicitConfirm there is no pkiconf.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static X509 *
load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = NULL;

	if (f != NULL) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (x == NULL)
		fprintf(stderr, "cmp3gpp: cannot read certificate %s\n", path);
	return x;
}

static EVP_PKEY *
load_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = NULL;

	if (f != NULL) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (k == NULL)
		fprintf(stderr, "cmp3gpp: cannot read key %s\n", path);
	return k;
}

static int
log_cb(const char *func, const char *file, int line,
    OSSL_CMP_severity level, const char *msg)
{
	(void)file;
	(void)line;
	fprintf(stderr, "%d %s: %s\n", (int)level, func, msg);
	return 1;
}

int
main(int argc, char **argv)
{
	OSSL_CMP_CTX *ctx = NULL;
	X509_STORE *store = NULL;
	X509 *trusted = NULL, *cert = NULL, *newcert;
	EVP_PKEY *key = NULL, *newkey = NULL;
	X509_NAME *subject = NULL;
	FILE *out;
	int rc = 1;

	int permit_ta;

	if (argc != 9 && !(argc == 10 && strcmp(argv[9], "plain") == 0)) {
		fprintf(stderr, "usage: cmp3gpp PORT PATH TRUSTED VENDOR-CERT "
		    "VENDOR-KEY NEW-KEY SUBJECT OUT [plain]\n");
		return 2;
	}
	permit_ta = argc == 9;
	if ((trusted = load_cert(argv[3])) == NULL
	    || (cert = load_cert(argv[4])) == NULL
	    || (key = load_key(argv[5])) == NULL
	    || (newkey = load_key(argv[6])) == NULL)
		goto done;
	subject = X509_NAME_new();
	if (subject == NULL || !X509_NAME_add_entry_by_txt(subject, "CN",
	    MBSTRING_UTF8, (const unsigned char *)argv[7], -1, -1, 0))
		goto done;

	if ((ctx = OSSL_CMP_CTX_new(NULL, NULL)) == NULL
	    || (store = X509_STORE_new()) == NULL
	    || !X509_STORE_add_cert(store, trusted))
		goto done;
	OSSL_CMP_CTX_set_log_cb(ctx, log_cb);
	if (!OSSL_CMP_CTX_set0_trustedStore(ctx, store))
		goto done;
	store = NULL;
	if (!OSSL_CMP_CTX_set1_server(ctx, "127.0.0.1")
	    || !OSSL_CMP_CTX_set_serverPort(ctx, atoi(argv[1]))
	    || !OSSL_CMP_CTX_set1_serverPath(ctx, argv[2])
	    || !OSSL_CMP_CTX_set1_cert(ctx, cert)
	    || !OSSL_CMP_CTX_set1_pkey(ctx, key)
	    || !OSSL_CMP_CTX_set0_newPkey(ctx, 1, newkey)
	    || !OSSL_CMP_CTX_set1_subjectName(ctx, subject)
	    || !OSSL_CMP_CTX_set_option(ctx,
	    OSSL_CMP_OPT_PERMIT_TA_IN_EXTRACERTS_FOR_IR, permit_ta)
	    || !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, 1)
	    || !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_TOTAL_TIMEOUT, 60))
		goto done;
	newkey = NULL;

	if ((newcert = OSSL_CMP_exec_IR_ses(ctx)) == NULL) {
		OSSL_CMP_CTX_print_errors(ctx);
		goto done;
	}
	if ((out = fopen(argv[8], "w")) == NULL
	    || !PEM_write_X509(out, newcert)) {
		perror(argv[8]);
		if (out != NULL)
			fclose(out);
		goto done;
	}
	if (fclose(out) == 0)
		rc = 0;
done:
	ERR_print_errors_fp(stderr);
	OSSL_CMP_CTX_free(ctx);
	X509_STORE_free(store);
	X509_NAME_free(subject);
	X509_free(trusted);
	X509_free(cert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(newkey);
	return rc;
}
