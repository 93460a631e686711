/*
 * cmpra - a registration authority for the tests (RFC 9483 5.2.2): wraps
 * PKIMessages in a nested signed with the RA's key, and unwraps cmpd's
 * nested answer after checking its signature.
 *
 *   cmpra wrap OUT RAKEY RACERT IN...
 *        a nested holding the INs (DER PKIMessages), fresh transactionID
 *        and senderNonce, signed with RAKEY and RACERT (PEM)
 *   cmpra unwrap IN ANCHOR PREFIX
 *        checks that IN is a nested whose signature verifies with a
 *        certificate that chains to ANCHOR (PEM), writes its inner
 *        messages to PREFIX-1.der, PREFIX-2.der ... and prints
 *        body=, verified=, signer= and inner=N
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "cmpd.h"

static void
die(const char *what)
{
	fprintf(stderr, "cmpra: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static CMPD_MSG *
read_msg(const char *path)
{
	unsigned char *buf;
	CMPD_HEADER *h = NULL;
	CMPD_MSG *m = NULL;
	size_t len;

	if (util_read_file(path, CMPD_BODY_MAX_LIMIT, &buf, &len) != 0)
		die(path);
	if (cmp_msg_decode(buf, len, &m, &h) != 0)
		die("not a PKIMessage");
	free(buf);
	return m;
}

static void
write_msg(const CMPD_MSG *m, const char *path)
{
	unsigned char *der = NULL;
	size_t len;
	FILE *f;

	if (cmp_msg_encode(m, &der, &len) != 0 ||
	    (f = fopen(path, "wb")) == NULL || fwrite(der, 1, len, f) != len ||
	    fclose(f) != 0)
		die(path);
	OPENSSL_free(der);
}

static void *
read_pem(const char *path, int key)
{
	void *x;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		die(path);
	x = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL) :
	    (void *)PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		die(path);
	return x;
}

static int
wrap(int argc, char **argv)
{
	unsigned char id[16];
	EVP_PKEY *key = read_pem(argv[3], 1);
	X509 *cert = read_pem(argv[4], 0);
	CMPD_MSG *m;
	int i;

	if ((m = cmp_msg_response_new(NULL, X509_get_subject_name(cert),
	    CMPD_BODY_NESTED)) == NULL ||
	    (m->body->value.nested = sk_CMPD_MSG_new_null()) == NULL)
		die("out of memory");
	for (i = 5; i < argc; i++)
		if (!sk_CMPD_MSG_push(m->body->value.nested, read_msg(argv[i])))
			die("out of memory");
	if (RAND_bytes(id, sizeof(id)) != 1 ||
	    (m->header->transactionID = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(m->header->transactionID, id, sizeof(id)))
		die("transactionID");
	if (cmp_protect_sig(m, key, cert, NULL) != 0)
		die("cannot sign");
	write_msg(m, argv[2]);
	CMPD_MSG_free(m);
	EVP_PKEY_free(key);
	X509_free(cert);
	return 0;
}

static int
unwrap(char **argv)
{
	CMPD_MSG *m = read_msg(argv[2]);
	STACK_OF(X509) *anchors = sk_X509_new_null(), *chain = NULL;
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	char arg[CMP_TEXT_MAX], path[4096];
	enum cmp_fail f;
	int i, n;

	arg[0] = '\0';
	if (anchors == NULL || crls == NULL ||
	    !sk_X509_push(anchors, read_pem(argv[3], 0)))
		die("out of memory");
	printf("body=%s\n", cmp_asn1_body_name(cmp_msg_body_type(m)));
	f = m->header->protectionAlg == NULL || m->protection == NULL ?
	    CMPF_UNPROTECTED : cmp_protect_sig_verify(m, anchors, crls, NULL, 0,
	    0, &chain, arg, sizeof(arg));
	printf("verified=%s\n", f == CMPF_OK ? "yes" : cmp_error_def(f)->name);
	if (f == CMPF_OK) {
		char *s = X509_NAME_oneline(X509_get_subject_name(
		    sk_X509_value(chain, 0)), NULL, 0);

		printf("signer=%s\n", s);
		OPENSSL_free(s);
	}
	if (cmp_msg_body_type(m) != CMPD_BODY_NESTED)
		return f == CMPF_OK ? 3 : 1;
	n = sk_CMPD_MSG_num(m->body->value.nested);
	printf("inner=%d\n", n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s-%d.der", argv[4], i + 1);
		write_msg(sk_CMPD_MSG_value(m->body->value.nested, i), path);
	}
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(anchors, X509_free);
	sk_X509_CRL_free(crls);
	CMPD_MSG_free(m);
	return f == CMPF_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 6 && strcmp(argv[1], "wrap") == 0)
		return wrap(argc, argv);
	if (argc == 5 && strcmp(argv[1], "unwrap") == 0)
		return unwrap(argv);
	fprintf(stderr, "usage: cmpra wrap OUT RAKEY RACERT IN...\n"
	    "       cmpra unwrap IN ANCHOR PREFIX\n");
	return 2;
}
