/*
 * cmppoll - test client for delayed delivery of messages other than
 * certificate requests (RFC 9810 5.3.22, RFC 9483 4.4), which OpenSSL
 * 3.0's client does not poll for:
 *
 *   cmppoll URL REQ CERT KEY TRUSTED MAXPOLLS [OTHERCERT OTHERKEY]
 *
 * posts the request REQ (DER, e.g. an rr or a genm written by `openssl
 * cmp -reqout`); an error message with status waiting is polled for with
 * pollReq {certReqId -1}, signed with CERT/KEY, at most MAXPOLLS times,
 * sleeping checkAfter (at most 5 s) between. Every answer must be signed
 * by a certificate that chains to TRUSTED and name the same transaction,
 * its recipNonce the senderNonce of the message it answers, as a client
 * checks (RFC 9810 5.1.1). With OTHERCERT/OTHERKEY, the first pollReq is
 * signed by that one instead (another requester) and its answer printed;
 * with CMPPOLL_UNTRUSTED=FILE, the certificates of FILE (PEM: the
 * signer's chain, as openssl cmp -untrusted) go with every pollReq, so
 * that cmpd needs not fetch them from the CA; with CMPPOLL_PROBE_ID=N in
 * the environment, a first pollReq names
 * certReqId N instead ("probe: " and its answer). Then the polls go on.
 * With CMPPOLL_SAVE=FILE, every answer to poll after (waiting, pollRep)
 * is written to FILE (DER); with CMPPOLL_RESUME=FILE, REQ is not sent:
 * the polls follow the answer FILE holds, as a client that went away
 * and comes back to its transaction (REQ is read all the same).
 * Prints one line per answer:
 *   waiting TEXT | pollRep certReqId=N checkAfter=N | rp status=N |
 *   genp infoType=OID value=yes|no | error status=N failInfo=NAME TEXT |
 *   other ...
 * Exit 0: an rp accepted or a genp; 1: any other end; 2: usage or checks
 * failed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "cmpd.h"

#define POLL_SLEEP_MAX	5	/* seconds */

struct buf {
	unsigned char *p;
	size_t	 n;
};

static size_t
on_data(void *data, size_t sz, size_t nm, void *arg)
{
	struct buf *b = arg;
	unsigned char *q;

	if (b->n + sz * nm > CMPD_BODY_MAX_LIMIT ||
	    (q = realloc(b->p, b->n + sz * nm)) == NULL)
		return 0;
	memcpy(q + b->n, data, sz * nm);
	b->p = q;
	b->n += sz * nm;
	return sz * nm;
}

/* POST one message; its answer decoded, or NULL. */
static CMPD_MSG *
post(const char *url, const CMPD_MSG *m)
{
	struct curl_slist *hdr = NULL;
	unsigned char *der = NULL;
	struct buf b = { NULL, 0 };
	CMPD_MSG *rsp = NULL;
	CMPD_HEADER *h = NULL;
	size_t len;
	CURL *c;

	if (cmp_msg_encode(m, &der, &len) != 0 ||
	    (c = curl_easy_init()) == NULL)
		goto out;
	hdr = curl_slist_append(hdr, "Content-Type: application/pkixcmp");
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, der);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(c) != CURLE_OK)
		fprintf(stderr, "cmppoll: POST %s failed\n", url);
	else if (cmp_msg_decode(b.p, b.n, &rsp, &h) != 0 || rsp == NULL)
		fprintf(stderr, "cmppoll: the answer is no PKIMessage\n");
	curl_easy_cleanup(c);
 out:
	CMPD_HEADER_free(h);
	curl_slist_free_all(hdr);
	OPENSSL_free(der);
	free(b.p);
	return rsp;
}

static int
octets_eq(const ASN1_OCTET_STRING *a, const ASN1_OCTET_STRING *b)
{
	return a != NULL && b != NULL && ASN1_STRING_cmp(a, b) == 0;
}

/* What a client checks of an answer (RFC 9810 5.1.1, 5.1.3.3). */
static int
check(const CMPD_MSG *req, const CMPD_MSG *rsp, STACK_OF(X509) *trusted)
{
	char arg[256];
	enum cmp_fail f;

	if (!octets_eq(req->header->transactionID,
	    rsp->header->transactionID)) {
		fprintf(stderr, "cmppoll: another transactionID\n");
		return -1;
	}
	if (!octets_eq(req->header->senderNonce, rsp->header->recipNonce)) {
		fprintf(stderr, "cmppoll: recipNonce is not our senderNonce\n");
		return -1;
	}
	if (rsp->header->protectionAlg == NULL || rsp->protection == NULL) {
		fprintf(stderr, "cmppoll: the answer is not protected\n");
		return -1;
	}
	if ((f = cmp_protect_sig_verify(rsp, trusted, NULL, NULL, 0, 0, NULL, arg,
	    sizeof(arg))) != CMPF_OK) {
		fprintf(stderr, "cmppoll: the answer's signature does not "
		    "verify: %s %s\n", cmp_error_def(f)->name, arg);
		return -1;
	}
	return 0;
}

static void
print_text(const STACK_OF(ASN1_UTF8STRING) *sk)
{
	int i;

	for (i = 0; i < sk_ASN1_UTF8STRING_num(sk); i++)
		printf(" %.*s", ASN1_STRING_length(sk_ASN1_UTF8STRING_value(sk,
		    i)), (const char *)ASN1_STRING_get0_data(
		    sk_ASN1_UTF8STRING_value(sk, i)));
}

/* One line for the answer; its PKIStatus, or -1 for a pollRep. */
static long
show(const CMPD_MSG *rsp, long *check_after)
{
	const CMPD_POLLREP *pr;
	const CMPD_PKISI *si;
	const CMPD_ITAV *itav;
	char oid[80];
	long st;
	int i;

	switch (cmp_msg_body_type(rsp)) {
	case CMPD_BODY_ERROR:
		si = rsp->body->value.error->pKIStatusInfo;
		st = ASN1_INTEGER_get(si->status);
		if (st == CMPD_PKISTATUS_WAITING)
			printf("waiting");
		else {
			printf("error status=%ld failInfo=", st);
			for (i = 0; i <= CMPD_FAIL_DUPLICATECERTREQ; i++)
				if (si->failInfo != NULL &&
				    ASN1_BIT_STRING_get_bit(si->failInfo, i))
					printf("%s", cmp_asn1_failinfo_name(i));
		}
		print_text(si->statusString);
		printf("\n");
		return st;
	case CMPD_BODY_POLLREP:
		if (sk_CMPD_POLLREP_num(rsp->body->value.pollRep) != 1) {
			printf("pollRep entries=%d\n",
			    sk_CMPD_POLLREP_num(rsp->body->value.pollRep));
			return -2;
		}
		pr = sk_CMPD_POLLREP_value(rsp->body->value.pollRep, 0);
		*check_after = ASN1_INTEGER_get(pr->checkAfter);
		printf("pollRep certReqId=%ld checkAfter=%ld",
		    ASN1_INTEGER_get(pr->certReqId), *check_after);
		print_text(pr->reason);
		printf("\n");
		return -1;
	case CMPD_BODY_RP:
		si = sk_CMPD_PKISI_value(rsp->body->value.rp->status, 0);
		st = si != NULL ? ASN1_INTEGER_get(si->status) : -2;
		printf("rp status=%ld revCerts=%d\n", st,
		    sk_OSSL_CRMF_CERTID_num(rsp->body->value.rp->revCerts));
		return st;
	case CMPD_BODY_GENP:
		/* the final answer to a genm: its one InfoTypeAndValue */
		if (sk_CMPD_ITAV_num(rsp->body->value.genp) != 1) {
			printf("genp entries=%d\n",
			    sk_CMPD_ITAV_num(rsp->body->value.genp));
			return -2;
		}
		itav = sk_CMPD_ITAV_value(rsp->body->value.genp, 0);
		OBJ_obj2txt(oid, sizeof(oid), itav->infoType, 1);
		printf("genp infoType=%s value=%s\n", oid,
		    itav->infoValue != NULL ? "yes" : "no");
		return CMPD_PKISTATUS_ACCEPTED;
	default:
		printf("other %s\n", cmp_asn1_body_name(cmp_msg_body_type(rsp)));
		return -2;
	}
}

static STACK_OF(X509) *untrusted;	/* CMPPOLL_UNTRUSTED */

/* CMPPOLL_SAVE: the answer the next pollReq follows, kept in a file. */
static int
save(const CMPD_MSG *rsp)
{
	const char *path = getenv("CMPPOLL_SAVE");
	unsigned char *der = NULL;
	size_t len;
	FILE *f;
	int r = -1;

	if (path == NULL)
		return 0;
	if (cmp_msg_encode(rsp, &der, &len) == 0 &&
	    (f = fopen(path, "wb")) != NULL) {
		if (fwrite(der, 1, len, f) == len)
			r = 0;
		if (fclose(f) != 0)
			r = -1;
	}
	OPENSSL_free(der);
	if (r != 0)
		fprintf(stderr, "cmppoll: cannot write %s\n", path);
	return r;
}

/* CMPPOLL_RESUME: the answer an earlier run saved. */
static CMPD_MSG *
resume(const char *path)
{
	unsigned char *der = NULL;
	CMPD_MSG *m = NULL;
	size_t len;

	if (util_read_file(path, CMPD_BODY_MAX_LIMIT, &der, &len) != 0 ||
	    cmp_msg_decode(der, len, &m, NULL) != 0)
		m = NULL;
	free(der);
	return m;
}

/* pollReq {certReqId -1} answering last, signed with cert/key. */
static CMPD_MSG *
poll_req(const CMPD_MSG *last, X509 *cert, EVP_PKEY *key, long id)
{
	unsigned char nonce[16];
	CMPD_POLLREQ *pr;
	CMPD_MSG *m;

	if ((m = CMPD_MSG_new()) == NULL)
		return NULL;
	ASN1_INTEGER_set(m->header->pvno, 2);
	GENERAL_NAME_free(m->header->recipient);
	m->header->recipient = GENERAL_NAME_dup(last->header->sender);
	m->header->messageTime = ASN1_GENERALIZEDTIME_set(NULL, time(NULL));
	m->header->transactionID =
	    ASN1_OCTET_STRING_dup(last->header->transactionID);
	RAND_bytes(nonce, sizeof(nonce));
	m->header->senderNonce = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(m->header->senderNonce, nonce, sizeof(nonce));
	/* RFC 9810 5.3.22: the senderNonce of the answer it follows */
	m->header->recipNonce = ASN1_OCTET_STRING_dup(last->header->senderNonce);
	m->body->type = CMPD_BODY_POLLREQ;
	m->body->value.pollReq = sk_CMPD_POLLREQ_new_null();
	pr = CMPD_POLLREQ_new();
	/* -1: the complete response, for a request other than ir/cr/kur */
	ASN1_INTEGER_set(pr->certReqId, id);
	sk_CMPD_POLLREQ_push(m->body->value.pollReq, pr);
	if (cmp_protect_sig(m, key, cert, untrusted) != 0) {
		CMPD_MSG_free(m);
		return NULL;
	}
	return m;
}

/*
 * A pollReq besides the client's own (another requester's, a probe for
 * another certReqId), answering last: its answer printed after label.
 * 0, or -1 when it could not be sent or the answer fails the checks.
 */
static int
side_poll(const char *url, const CMPD_MSG *last, X509 *cert, EVP_PKEY *key,
    long id, STACK_OF(X509) *trusted, const char *label, long *check_after)
{
	CMPD_MSG *pr, *rsp = NULL;
	int r = -1;

	if ((pr = poll_req(last, cert, key, id)) == NULL)
		return -1;
	rsp = post(url, pr);
	printf("%s: ", label);
	if (rsp != NULL && check(pr, rsp, trusted) == 0) {
		(void)show(rsp, check_after);
		r = 0;
	}
	CMPD_MSG_free(pr);
	CMPD_MSG_free(rsp);
	return r;
}

/* Every certificate of a PEM file. */
static STACK_OF(X509) *
load_certs(const char *path)
{
	STACK_OF(X509) *sk;
	X509 *x;
	BIO *b;

	if ((b = BIO_new_file(path, "r")) == NULL)
		return NULL;
	if ((sk = sk_X509_new_null()) != NULL)
		while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
			if (!sk_X509_push(sk, x))
				X509_free(x);
	BIO_free(b);
	ERR_clear_error();	/* the end of the file */
	if (sk != NULL && sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		sk = NULL;
	}
	return sk;
}

static int
load(const char *certf, const char *keyf, X509 **x, EVP_PKEY **k)
{
	BIO *b;

	if ((b = BIO_new_file(certf, "r")) != NULL) {
		*x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	if ((b = BIO_new_file(keyf, "r")) != NULL) {
		*k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	return *x != NULL && *k != NULL ? 0 : -1;
}

int
main(int argc, char *argv[])
{
	STACK_OF(X509) *trusted = NULL;
	CMPD_MSG *req = NULL, *rsp = NULL, *pr;
	X509 *cert = NULL, *other = NULL;
	EVP_PKEY *key = NULL, *okey = NULL;
	const char *probe = getenv("CMPPOLL_PROBE_ID");
	unsigned char *der = NULL;
	long st, check_after = 0;
	int polls, i, r = 2;
	size_t len;

	if (argc != 7 && argc != 9) {
		fprintf(stderr, "usage: cmppoll URL REQ CERT KEY TRUSTED "
		    "MAXPOLLS [OTHERCERT OTHERKEY]\n");
		return 2;
	}
	/* a line per answer, as it comes: a test may watch the file */
	setvbuf(stdout, NULL, _IOLBF, 0);
	polls = atoi(argv[6]);
	if (util_read_file(argv[2], CMPD_BODY_MAX_LIMIT, &der, &len) != 0 ||
	    cmp_msg_decode(der, len, &req, NULL) != 0 || req == NULL ||
	    load(argv[3], argv[4], &cert, &key) != 0 ||
	    (argc == 9 && load(argv[7], argv[8], &other, &okey) != 0) ||
	    (trusted = load_certs(argv[5])) == NULL ||
	    (getenv("CMPPOLL_UNTRUSTED") != NULL &&
	    (untrusted = load_certs(getenv("CMPPOLL_UNTRUSTED"))) == NULL)) {
		fprintf(stderr, "cmppoll: cannot read the arguments\n");
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (getenv("CMPPOLL_RESUME") != NULL) {
		if ((rsp = resume(getenv("CMPPOLL_RESUME"))) == NULL) {
			fprintf(stderr, "cmppoll: cannot read %s\n",
			    getenv("CMPPOLL_RESUME"));
			goto out;
		}
		/* poll at once, as after a waiting answer */
		st = CMPD_PKISTATUS_WAITING;
	} else {
		if ((rsp = post(argv[1], req)) == NULL ||
		    check(req, rsp, trusted) != 0)
			goto out;
		st = show(rsp, &check_after);
	}
	r = 1;
	for (i = 0; st == CMPD_PKISTATUS_WAITING || st == -1; i++) {
		if (save(rsp) != 0) {
			r = 2;
			goto out;
		}
		if (i >= polls)
			goto out;	/* gave up (bounded) */
		if (st == -1) {
			if (check_after < 0)
				goto out;
			sleep((unsigned)(check_after > POLL_SLEEP_MAX ?
			    POLL_SLEEP_MAX : check_after));
		}
		/* another requester's pollReq: its answer, then ours */
		if (other != NULL) {
			if (side_poll(argv[1], rsp, other, okey, -1, trusted,
			    "other requester", &check_after) != 0) {
				r = 2;
				goto out;
			}
			X509_free(other);
			other = NULL;
		}
		if (probe != NULL) {
			if (side_poll(argv[1], rsp, cert, key, atol(probe),
			    trusted, "probe", &check_after) != 0) {
				r = 2;
				goto out;
			}
			probe = NULL;
		}
		if ((pr = poll_req(rsp, cert, key, -1)) == NULL)
			goto out;
		CMPD_MSG_free(req);
		req = pr;
		CMPD_MSG_free(rsp);
		if ((rsp = post(argv[1], req)) == NULL ||
		    check(req, rsp, trusted) != 0) {
			r = 2;
			goto out;
		}
		st = show(rsp, &check_after);
	}
	if ((cmp_msg_body_type(rsp) == CMPD_BODY_RP ||
	    cmp_msg_body_type(rsp) == CMPD_BODY_GENP) &&
	    st == CMPD_PKISTATUS_ACCEPTED)
		r = 0;
 out:
	fflush(stdout);
	ERR_print_errors_fp(stderr);
	sk_X509_pop_free(trusted, X509_free);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(cert);
	X509_free(other);
	EVP_PKEY_free(key);
	EVP_PKEY_free(okey);
	CMPD_MSG_free(req);
	CMPD_MSG_free(rsp);
	OPENSSL_free(der);
	return r;
}
