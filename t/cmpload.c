/*
 * cmpload - CMP load generator: CONC threads, each enrolling again and
 * again with ir + certConf (RFC 9810 5.3.1, 5.3.18), PBM-protected with a
 * shared secret or signed, through libcrypto's CMP client
 * (OSSL_CMP_exec_IR_ses),
 * until DURATION seconds are over or MAX enrolments were started, or
 * SIGTERM or SIGINT came: then every client finishes the enrolment it is
 * in (bounded by --msg-timeout), starts no other, and the report is
 * printed as at the end of DURATION.
 *
 *   cmpload -u URL (-s SECRET -r REF | --devices CSV |
 *           --cert CERT --key KEY) [-c CONC] [-d SECONDS] [-n MAX]
 *           [--subject-prefix P] [--recipient CN] [--reuse-key]
 *           [--key-pool N] [--trusted CERTS] [--accept-any-cert]
 *           [--connection message|enrolment|thread]
 *           [--implicit-confirm] [--no-confirm] [--msg-timeout S]
 *           [--retry-delay MS] [--unprotected-errors] [-o CERTS] [-v]
 *
 * URL is http://host:port/path (no TLS).  Every enrolment has its own
 * subject, CN=P-<thread>-<sequence>, and a fresh EC P-256 key (one key per
 * thread with --reuse-key; with --key-pool N, N keys per thread made
 * before the clock starts and used in turn, so that key generation does
 * not compete with the server for the CPU).  --no-confirm leaves
 * certificates unconfirmed (OSSL_CMP_OPT_DISABLE_CONFIRM), for the
 * server's confirmation sweep.
 * --retry-delay makes a client wait MS milliseconds after a failed
 * enrolment, as a device would, instead of asking again at once.
 * --unprotected-errors accepts error answers without protection (a
 * server cannot MAC an answer with a secret it does not know or cannot
 * read), so that their failInfo is counted.
 *
 * --cert CERT --key KEY: signature protection (RFC 9810 5.1.3.3) with this
 * certificate and key (PEM) instead of a shared secret; --trusted CERTS
 * (PEM) are the anchors the server's signed answers must chain to.
 * --accept-any-cert confirms whatever certificate comes back, even one
 * libcrypto refused (OpenSSL's mock server answers every request with one
 * fixed certificate whose key is not the requested one).
 *
 * --connection: how messages travel.  message (the default): libcrypto's
 * own HTTP transfer, one connection per message; enrolment: one
 * keep-alive connection for an enrolment's ir and certConf; thread: one
 * keep-alive connection per client thread for all its enrolments (opened
 * again when the server closes it).  The last two go through a transfer
 * callback with OSSL_HTTP_transfer(keep_alive = 1), and their sockets have
 * TCP_NODELAY (else every message on a kept connection would wait for the
 * server's delayed ACK).
 *
 * --devices CSV: per-device secrets instead of one: the file's lines after
 * its header start with reference,secret (no quoting); enrolment N uses
 * line N's reference and secret and the subject CN=<reference>, and MAX is
 * at most the number of lines: every device enrols once.
 *
 * CONC defaults to 4 (at most 256), SECONDS to 10, MAX to 0 (no limit).
 *
 * At the end it prints key=value lines on stdout:
 *   conc, attempts, ok (ip accepted and, unless implicitConfirm, pkiconf
 *   received), delivered (a certificate reached the client),
 *   certconf_failed (delivered, but no pkiconf came back), rejected (an
 *   answer with a PKIStatus other than accepted), fail.<failInfo>=N per
 *   failure bit of those answers (fail.none: without failInfo), transport
 *   (no answer: connection or HTTP failure, timeout), invalid (an answer
 *   libcrypto refused, such as an unprotected error), err.<reason>=N per
 *   libcrypto reason of those two, elapsed_s, rate_per_s (ok per second),
 *   and the latency of the successful enrolments, ir to pkiconf:
 *   lat_p50_ms, lat_p99_ms, lat_max_ms; errors (attempts that did not
 *   end ok); with --connection enrolment or thread, connections (how
 *   many it opened).
 * With -o, one line per delivered certificate, when its enrolment ends:
 *   <SHA-256 of the DER, lower-case hex> <serial, upper-case hex> <0|1>
 * the last field saying whether the certConf was answered (or implicit
 * confirmation granted).
 *
 * OpenSSL 3.0's CMP HTTP transfer opens one connection per message (no
 * keep-alive): with --connection message the figures include a TCP
 * handshake per message.
 *
 * Every wait is bounded: no enrolment starts after DURATION, and each one
 * gives up after twice --msg-timeout (default 15 s).  Exit status 0 once
 * the run is over whatever the outcomes, 1 if it could not start, 2 for a
 * usage error.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/cmp.h>
#include <openssl/cmperr.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/http.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#define LD_CONC_MAX	256
#define LD_LAT_MAX	(1 << 22)	/* latencies kept for percentiles */
#define LD_REASONS_MAX	16		/* distinct err.<reason> counted */
#define LD_SUBJECT_MAX	128
#define LD_POOL_MAX	4096		/* --key-pool */

/* --connection */
enum ld_conn { LD_CONN_MESSAGE, LD_CONN_ENROLMENT, LD_CONN_THREAD };

/* RFC 9810 5.2.3 PKIFailureInfo, by bit number */
static const char *const ld_failinfo[] = {
	"badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId",
	"badDataFormat", "wrongAuthority", "incorrectData",
	"missingTimeStamp", "badPOP", "certRevoked", "certConfirmed",
	"wrongIntegrity", "badRecipientNonce", "timeNotAvailable",
	"unacceptedPolicy", "unacceptedExtension", "addInfoNotAvailable",
	"badSenderNonce", "badCertTemplate", "signerNotTrusted",
	"transactionIdInUse", "unsupportedVersion", "notAuthorized",
	"systemUnavail", "systemFailure", "duplicateCertReq",
};
#define LD_NFAILINFO	(sizeof(ld_failinfo) / sizeof(ld_failinfo[0]))

struct ld_opts {
	char		*host;
	char		*port;
	char		*path;
	const char	*secret;
	const char	*ref;
	const char	*prefix;
	const char	*recipient;
	const char	*certs_path;
	int		 conc;
	int		 duration;
	long		 max;
	int		 reuse_key;
	int		 implicit;
	int		 no_confirm;
	int		 unprotected_errors;
	int		 msg_timeout;
	long		 retry_delay_ms;
	int		 verbose;
	const char	*devices_path;
	enum ld_conn	 conn;
	int		 key_pool;
	int		 accept_any;
	const char	*cert_path;
	const char	*key_path;
	const char	*trusted_path;
};

/* --cert, --key, --trusted: loaded once, shared by reference */
static X509 *ld_cert;
static EVP_PKEY *ld_cert_key;
static X509_STORE *ld_trusted;

/* --devices: one reference and secret per enrolment */
#define LD_DEVICES_MAX	100000
static struct ld_device {
	char	*ref;
	char	*secret;
} *ld_dev;
static long ld_ndev;

/* What all threads add to, under ld_lock. */
static struct {
	long	 attempts, ok, delivered, certconf_failed, rejected, transport;
	long	 invalid;
	long	 failinfo[LD_NFAILINFO];
	long	 no_failinfo;
	char	 reason[LD_REASONS_MAX][64];
	long	 reason_n[LD_REASONS_MAX];
	long	 reason_other;
	double	*lat;
	size_t	 nlat;
	long	 started;
	long	 conns;
	FILE	*certs;
} ld;
static pthread_mutex_t ld_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ld_opts opt;
static struct timespec ld_end;
/* SIGTERM or SIGINT: start no other enrolment (set by the main thread's
 * handler, read by the clients: an atomic, lock-free and so safe in a
 * handler) */
static atomic_int ld_stop;

struct ld_thread {
	pthread_t	 tid;
	int		 no;
	EVP_PKEY	**pool;		/* --reuse-key, --key-pool */
	int		 npool, next;
	OSSL_HTTP_REQ_CTX *http;	/* --connection enrolment, thread */
	long		 conns;		/* connections it opened */
	/* the certificate of the current enrolment, from the certConf
	 * callback */
	int		 got;
	char		 fp[65];
	char		 serial[80];
};

static double
ld_ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void
ld_on_stop(int sig)
{
	(void)sig;
	atomic_store(&ld_stop, 1);
}

static int
ld_time_left(void)
{
	struct timespec t;

	if (atomic_load(&ld_stop))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec < ld_end.tv_sec || (t.tv_sec == ld_end.tv_sec &&
	    t.tv_nsec < ld_end.tv_nsec);
}

/* libcrypto's CMP log: silent unless -v. */
static int
ld_log(const char *func, const char *file, int line,
    OSSL_CMP_severity level, const char *msg)
{
	(void)func, (void)file, (void)line;
	if (opt.verbose && level <= OSSL_CMP_LOG_WARNING)
		fprintf(stderr, "cmpload: %s\n", msg);
	return 1;
}

/*
 * Called with the new certificate before the certConf goes out: from here
 * on the client holds it. Accepts it (no trust store: PBM both ways).
 */
static int
ld_certconf_cb(OSSL_CMP_CTX *ctx, X509 *cert, int fail_info, const char **txt)
{
	struct ld_thread *th = OSSL_CMP_CTX_get_certConf_cb_arg(ctx);
	unsigned char md[32];
	unsigned int mdlen = 0, i;
	BIGNUM *bn;
	char *hex;

	(void)txt;
	if (opt.accept_any)
		fail_info = 0;
	if (th == NULL || cert == NULL)
		return fail_info;
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) && mdlen == 32) {
		for (i = 0; i < 32; i++)
			snprintf(th->fp + 2 * i, 3, "%02x", md[i]);
		th->serial[0] = '\0';
		if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert),
		    NULL)) != NULL && (hex = BN_bn2hex(bn)) != NULL) {
			snprintf(th->serial, sizeof(th->serial), "%s", hex);
			OPENSSL_free(hex);
		}
		BN_free(bn);
		th->got = 1;
	}
	return fail_info;
}

static EVP_PKEY *
ld_new_key(void)
{
	return EVP_EC_gen("P-256");
}

/*
 * Called by OSSL_HTTP_open() with the new connection: TCP_NODELAY.  The
 * HTTP client writes a request's header and body separately; with Nagle's
 * algorithm the body would wait for the ACK of the header, which the
 * server delays (up to 40 ms on Linux) on a connection that is not new.
 */
static BIO *
ld_bio_cb(BIO *bio, void *arg, int connect, int detail)
{
	int fd = -1, on = 1;

	(void)arg, (void)detail;
	if (connect && BIO_get_fd(bio, &fd) > 0 && fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return bio;
}

/* One POST over th->http (opened if need be); the answer's body, or NULL. */
static BIO *
ld_post(struct ld_thread *th, const OSSL_CMP_MSG *req)
{
	BIO *breq, *brsp = NULL;

	if ((breq = BIO_new(BIO_s_mem())) == NULL ||
	    i2d_OSSL_CMP_MSG_bio(breq, req) <= 0)
		goto out;
	if (th->http == NULL)
		th->conns++;
	brsp = OSSL_HTTP_transfer(&th->http, opt.host, opt.port, opt.path, 0,
	    NULL, NULL, NULL, NULL, ld_bio_cb, NULL, 0, NULL,
	    "application/pkixcmp", breq, "application/pkixcmp", 1, 0,
	    opt.msg_timeout, 1);
 out:
	BIO_free(breq);
	return brsp;
}

/*
 * --connection enrolment|thread: one message over the thread's keep-alive
 * connection (RFC 6712 3.4 allows persistent connections), opened on
 * first use and again after the server closed it; OSSL_HTTP_transfer()
 * drops the context itself when the exchange fails or the connection does
 * not stay alive.
 */
static OSSL_CMP_MSG *
ld_transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
	struct ld_thread *th = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
	OSSL_CMP_MSG *rsp = NULL;
	int reused = th->http != NULL;
	BIO *brsp;

	/*
	 * A kept connection that the server has closed in the meantime
	 * fails before any answer: send once more on a new one, as HTTP
	 * clients do (RFC 9112 9.3.1).
	 */
	if ((brsp = ld_post(th, req)) == NULL && reused) {
		ERR_clear_error();
		brsp = ld_post(th, req);
	}
	if (brsp != NULL)
		rsp = d2i_OSSL_CMP_MSG_bio(brsp, NULL);
	BIO_free(brsp);
	return rsp;
}

static void
ld_close(struct ld_thread *th)
{
	if (th->http != NULL)
		OSSL_HTTP_close(th->http, 1);
	th->http = NULL;
}

/* "reason text" -> "reason_text", for a key name */
static void
ld_key_name(const char *in, char *out, size_t n)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < n; i++)
		out[i] = (in[i] >= 'a' && in[i] <= 'z') ||
		    (in[i] >= 'A' && in[i] <= 'Z') ||
		    (in[i] >= '0' && in[i] <= '9') ? in[i] : '_';
	out[i] = '\0';
}

/* Counts a failure without a PKIStatus by libcrypto's last error. */
static void
ld_count_reason(unsigned long e)
{
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
	char name[64];
	int i;

	ld_key_name(r != NULL ? r : "unknown", name, sizeof(name));
	for (i = 0; i < LD_REASONS_MAX; i++) {
		if (ld.reason[i][0] == '\0')
			snprintf(ld.reason[i], sizeof(ld.reason[i]), "%s", name);
		if (strcmp(ld.reason[i], name) == 0) {
			ld.reason_n[i]++;
			return;
		}
	}
	ld.reason_other++;
}

static OSSL_CMP_CTX *
ld_ctx(struct ld_thread *th, EVP_PKEY *key, long seq)
{
	OSSL_CMP_CTX *ctx = NULL;
	X509_NAME *subj = NULL, *rcp = NULL;
	char cn[LD_SUBJECT_MAX];

	const char *ref = opt.ref, *secret = opt.secret;

	if (ld_dev != NULL) {
		ref = ld_dev[seq].ref;
		secret = ld_dev[seq].secret;
		snprintf(cn, sizeof(cn), "%s", ref);
	} else
		snprintf(cn, sizeof(cn), "%s-%d-%ld", opt.prefix, th->no, seq);
	if ((ctx = OSSL_CMP_CTX_new(NULL, NULL)) == NULL ||
	    !OSSL_CMP_CTX_set_log_cb(ctx, ld_log) ||
	    !OSSL_CMP_CTX_set1_server(ctx, opt.host) ||
	    !OSSL_CMP_CTX_set_serverPort(ctx, atoi(opt.port)) ||
	    !OSSL_CMP_CTX_set1_serverPath(ctx, opt.path) ||
	    !OSSL_CMP_CTX_set1_no_proxy(ctx, opt.host) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_MSG_TIMEOUT,
	    opt.msg_timeout) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_TOTAL_TIMEOUT,
	    2 * opt.msg_timeout) ||
	    !OSSL_CMP_CTX_set_certConf_cb(ctx, ld_certconf_cb) ||
	    !OSSL_CMP_CTX_set_certConf_cb_arg(ctx, th))
		goto err;
	if (ld_cert != NULL) {
		/* RFC 9810 5.1.3.3: signed with the client's certificate */
		if (!OSSL_CMP_CTX_set1_cert(ctx, ld_cert) ||
		    !OSSL_CMP_CTX_set1_pkey(ctx, ld_cert_key))
			goto err;
	} else if (!OSSL_CMP_CTX_set1_referenceValue(ctx,
	    (const unsigned char *)ref, strlen(ref)) ||
	    !OSSL_CMP_CTX_set1_secretValue(ctx,
	    (const unsigned char *)secret, strlen(secret)) ||
	    !OSSL_CMP_CTX_set1_pkey(ctx, key))
		goto err;
	/* set0 takes the reference it is given */
	if (ld_trusted != NULL) {
		if (!X509_STORE_up_ref(ld_trusted))
			goto err;
		if (!OSSL_CMP_CTX_set0_trustedStore(ctx, ld_trusted)) {
			X509_STORE_free(ld_trusted);
			goto err;
		}
	}
	if (opt.conn != LD_CONN_MESSAGE &&
	    (!OSSL_CMP_CTX_set_transfer_cb(ctx, ld_transfer) ||
	    !OSSL_CMP_CTX_set_transfer_cb_arg(ctx, th)))
		goto err;
	/* set0_newPkey takes the reference it is given */
	if (!EVP_PKEY_up_ref(key))
		goto err;
	if (!OSSL_CMP_CTX_set0_newPkey(ctx, 1, key)) {
		EVP_PKEY_free(key);
		goto err;
	}
	if (opt.implicit && !OSSL_CMP_CTX_set_option(ctx,
	    OSSL_CMP_OPT_IMPLICIT_CONFIRM, 1))
		goto err;
	if (opt.no_confirm && !OSSL_CMP_CTX_set_option(ctx,
	    OSSL_CMP_OPT_DISABLE_CONFIRM, 1))
		goto err;
	if (opt.unprotected_errors && !OSSL_CMP_CTX_set_option(ctx,
	    OSSL_CMP_OPT_UNPROTECTED_ERRORS, 1))
		goto err;
	if ((subj = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !OSSL_CMP_CTX_set1_subjectName(ctx, subj))
		goto err;
	if (opt.recipient != NULL &&
	    ((rcp = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(rcp, "CN", MBSTRING_UTF8,
	    (const unsigned char *)opt.recipient, -1, -1, 0) ||
	    !OSSL_CMP_CTX_set1_recipient(ctx, rcp)))
		goto err;
	X509_NAME_free(subj);
	X509_NAME_free(rcp);
	return ctx;
 err:
	X509_NAME_free(subj);
	X509_NAME_free(rcp);
	OSSL_CMP_CTX_free(ctx);
	return NULL;
}

/* Sleeps ms milliseconds, or until the run ends. */
static void
ld_pause(long ms)
{
	struct timespec t;

	while (ms > 0 && ld_time_left()) {
		t.tv_sec = 0;
		t.tv_nsec = (ms > 100 ? 100 : ms) * 1000000L;
		nanosleep(&t, NULL);
		ms -= 100;
	}
}

/*
 * One enrolment: ir, ip, certConf, pkiconf. Returns 0 when it succeeded,
 * 1 when it failed, -1 if none could be started.
 */
static int
ld_enroll(struct ld_thread *th, long seq)
{
	struct timespec t0;
	OSSL_CMP_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert;
	unsigned long e;
	int status, info, i, r = -1;
	double ms;

	if (th->npool > 0) {
		key = th->pool[th->next++ % th->npool];
		if (!EVP_PKEY_up_ref(key)) {
			key = NULL;
			goto out;
		}
	} else if ((key = ld_new_key()) == NULL)
		goto out;
	if ((ctx = ld_ctx(th, key, seq)) == NULL)
		goto out;
	th->got = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cert = OSSL_CMP_exec_IR_ses(ctx);
	ms = ld_ms_since(&t0);
	if (opt.conn == LD_CONN_ENROLMENT)
		ld_close(th);
	e = ERR_peek_last_error();
	status = OSSL_CMP_CTX_get_status(ctx);
	info = OSSL_CMP_CTX_get_failInfoCode(ctx);

	pthread_mutex_lock(&ld_lock);
	ld.attempts++;
	if (th->got) {
		ld.delivered++;
		if (ld.certs != NULL) {
			fprintf(ld.certs, "%s %s %d\n", th->fp, th->serial,
			    cert != NULL);
			fflush(ld.certs);
		}
	}
	if (cert != NULL) {
		ld.ok++;
		if (ld.nlat < LD_LAT_MAX) {
			double *n = ld.lat;

			if ((ld.nlat & (ld.nlat - 1)) == 0)
				n = realloc(ld.lat, (ld.nlat == 0 ? 1024 :
				    ld.nlat * 2) * sizeof(*n));
			if (n != NULL) {
				ld.lat = n;
				ld.lat[ld.nlat++] = ms;
			}
		}
	} else if (th->got) {
		ld.certconf_failed++;
	} else if (status >= 0 && status != OSSL_CMP_PKISTATUS_accepted &&
	    status != OSSL_CMP_PKISTATUS_grantedWithMods) {
		ld.rejected++;
		if (info <= 0)
			ld.no_failinfo++;
		for (i = 0; i < (int)LD_NFAILINFO; i++)
			if (info > 0 && (info & (1 << i)) != 0)
				ld.failinfo[i]++;
	} else {
		/* no answer, or one libcrypto refused (an unprotected
		 * error, say) */
		if (ERR_GET_LIB(e) == ERR_LIB_CMP &&
		    ERR_GET_REASON(e) != CMP_R_TRANSFER_ERROR &&
		    ERR_GET_REASON(e) != CMP_R_TOTAL_TIMEOUT)
			ld.invalid++;
		else
			ld.transport++;
		ld_count_reason(e);
	}
	pthread_mutex_unlock(&ld_lock);
	r = cert != NULL ? 0 : 1;
	if (opt.verbose && cert == NULL) {
		fprintf(stderr, "cmpload: %d-%ld failed (status %d, failInfo "
		    "0x%x)\n", th->no, seq, status, info > 0 ? info : 0);
		ERR_print_errors_fp(stderr);
	}
 out:
	ERR_clear_error();
	OSSL_CMP_CTX_free(ctx);
	EVP_PKEY_free(key);
	return r;
}

static void *
ld_run(void *arg)
{
	struct ld_thread *th = arg;
	long seq;
	int r;

	for (;;) {
		if (!ld_time_left())
			break;
		pthread_mutex_lock(&ld_lock);
		seq = opt.max > 0 && ld.started >= opt.max ? -1 : ld.started++;
		pthread_mutex_unlock(&ld_lock);
		if (seq < 0)
			break;
		if ((r = ld_enroll(th, seq)) < 0) {
			fprintf(stderr, "cmpload: cannot set up an enrolment\n");
			break;
		}
		if (r > 0 && opt.retry_delay_ms > 0)
			ld_pause(opt.retry_delay_ms);
	}
	ld_close(th);
	pthread_mutex_lock(&ld_lock);
	ld.conns += th->conns;
	pthread_mutex_unlock(&ld_lock);
	ERR_clear_error();
	OPENSSL_thread_stop();
	return NULL;
}

static int
ld_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of the sorted latencies. */
static double
ld_pct(double p)
{
	size_t i;

	if (ld.nlat == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)ld.nlat + 0.999999);
	if (i < 1)
		i = 1;
	if (i > ld.nlat)
		i = ld.nlat;
	return ld.lat[i - 1];
}

/* CPU time of the whole process (every thread) so far, in ms */
static double
ld_cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0.0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void
ld_report(double elapsed_ms, double cpu_ms)
{
	size_t i;

	if (ld.nlat > 0)
		qsort(ld.lat, ld.nlat, sizeof(*ld.lat), ld_cmp_double);
	printf("conc=%d\n", opt.conc);
	printf("attempts=%ld\n", ld.attempts);
	printf("ok=%ld\n", ld.ok);
	printf("delivered=%ld\n", ld.delivered);
	printf("certconf_failed=%ld\n", ld.certconf_failed);
	printf("rejected=%ld\n", ld.rejected);
	for (i = 0; i < LD_NFAILINFO; i++)
		if (ld.failinfo[i] > 0)
			printf("fail.%s=%ld\n", ld_failinfo[i], ld.failinfo[i]);
	if (ld.no_failinfo > 0)
		printf("fail.none=%ld\n", ld.no_failinfo);
	printf("transport=%ld\n", ld.transport);
	printf("invalid=%ld\n", ld.invalid);
	for (i = 0; i < LD_REASONS_MAX && ld.reason[i][0] != '\0'; i++)
		printf("err.%s=%ld\n", ld.reason[i], ld.reason_n[i]);
	if (ld.reason_other > 0)
		printf("err.other=%ld\n", ld.reason_other);
	printf("elapsed_s=%.3f\n", elapsed_ms / 1e3);
	printf("rate_per_s=%.1f\n", elapsed_ms > 0 ?
	    (double)ld.ok * 1e3 / elapsed_ms : 0.0);
	printf("lat_p50_ms=%.1f\n", ld_pct(50));
	printf("lat_p99_ms=%.1f\n", ld_pct(99));
	printf("lat_max_ms=%.1f\n", ld.nlat > 0 ? ld.lat[ld.nlat - 1] : 0.0);
	printf("errors=%ld\n", ld.attempts - ld.ok);
	/* the load generator's own CPU while the clock ran (the keys made
	 * before it are not in it), per completed enrolment */
	printf("client_cpu_ms=%.3f\n", ld.ok > 0 ? cpu_ms / (double)ld.ok :
	    0.0);
	if (opt.conn != LD_CONN_MESSAGE)
		printf("connections=%ld\n", ld.conns);
}

static void
ld_usage(void)
{
	fprintf(stderr, "usage: cmpload -u URL (-s SECRET -r REF | --devices CSV "
	    "|\n"
	    "       --cert CERT --key KEY) [-c CONC] [-d SECONDS] [-n MAX]\n"
	    "       [--subject-prefix P] [--recipient CN] [--reuse-key] "
	    "[--key-pool N]\n"
	    "       [--trusted CERTS] [--accept-any-cert] "
	    "[--connection message|enrolment|thread]\n"
	    "       [--implicit-confirm] [--no-confirm] [--msg-timeout S] "
	    "[--retry-delay MS]\n"
	    "       [--unprotected-errors] [-o CERTS] [-v]\n");
	exit(2);
}

static long
ld_num(const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		ld_usage();
	return v;
}

/* --devices: reference,secret of each line after the header. */
static int
ld_devices_load(const char *path)
{
	char line[1024], *comma, *end;
	FILE *f;
	int r = -1;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	if ((ld_dev = calloc(LD_DEVICES_MAX, sizeof(*ld_dev))) == NULL ||
	    fgets(line, sizeof(line), f) == NULL)
		goto out;
	while (fgets(line, sizeof(line), f) != NULL && ld_ndev < LD_DEVICES_MAX) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((comma = strchr(line, ',')) == NULL)
			continue;
		*comma++ = '\0';
		if ((end = strchr(comma, ',')) != NULL)
			*end = '\0';
		if (strlen(line) >= LD_SUBJECT_MAX || (ld_dev[ld_ndev].ref =
		    strdup(line)) == NULL || (ld_dev[ld_ndev].secret =
		    strdup(comma)) == NULL)
			goto out;
		ld_ndev++;
	}
	r = ld_ndev > 0 ? 0 : -1;
 out:
	if (r != 0)
		fprintf(stderr, "cmpload: %s: no reference,secret lines\n",
		    path);
	fclose(f);
	return r;
}

static enum ld_conn
ld_conn_mode(const char *s)
{
	if (strcmp(s, "message") == 0)
		return LD_CONN_MESSAGE;
	if (strcmp(s, "enrolment") == 0)
		return LD_CONN_ENROLMENT;
	if (strcmp(s, "thread") == 0)
		return LD_CONN_THREAD;
	ld_usage();
	return LD_CONN_MESSAGE;
}

/* --cert, --key, --trusted (PEM files) */
static int
ld_credentials_load(void)
{
	BIO *b = NULL;
	int r = -1;

	if (opt.cert_path != NULL) {
		if ((b = BIO_new_file(opt.cert_path, "r")) == NULL ||
		    (ld_cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
			goto out;
		BIO_free(b);
		if ((b = BIO_new_file(opt.key_path, "r")) == NULL ||
		    (ld_cert_key = PEM_read_bio_PrivateKey(b, NULL, NULL,
		    NULL)) == NULL)
			goto out;
	}
	if (opt.trusted_path != NULL &&
	    ((ld_trusted = X509_STORE_new()) == NULL ||
	    !X509_STORE_load_file(ld_trusted, opt.trusted_path)))
		goto out;
	r = 0;
 out:
	BIO_free(b);
	if (r != 0) {
		fprintf(stderr, "cmpload: cannot load --cert, --key or "
		    "--trusted\n");
		ERR_print_errors_fp(stderr);
	}
	return r;
}

/* --key-pool: the thread's keys, made before the clock starts */
static int
ld_pool_fill(struct ld_thread *th)
{
	if (opt.key_pool == 0)
		return 0;
	if ((th->pool = calloc((size_t)opt.key_pool, sizeof(*th->pool))) ==
	    NULL)
		return -1;
	for (; th->npool < opt.key_pool; th->npool++)
		if ((th->pool[th->npool] = ld_new_key()) == NULL)
			return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "subject-prefix", required_argument, NULL, 'P' },
		{ "recipient", required_argument, NULL, 'R' },
		{ "reuse-key", no_argument, NULL, 'K' },
		{ "implicit-confirm", no_argument, NULL, 'I' },
		{ "no-confirm", no_argument, NULL, 'N' },
		{ "msg-timeout", required_argument, NULL, 'T' },
		{ "retry-delay", required_argument, NULL, 'D' },
		{ "unprotected-errors", no_argument, NULL, 'E' },
		{ "devices", required_argument, NULL, 'V' },
		{ "connection", required_argument, NULL, 'C' },
		{ "key-pool", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'x' },
		{ "key", required_argument, NULL, 'y' },
		{ "trusted", required_argument, NULL, 't' },
		{ "accept-any-cert", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 }
	};
	struct ld_thread *th = NULL;
	struct timespec t0;
	sigset_t stopsigs;
	double cpu0;
	const char *url = NULL;
	char *user = NULL, *query = NULL, *frag = NULL;
	int ch, ssl = 0, i, n = 0, rc = 1;

	opt.conc = 4;
	opt.duration = 10;
	opt.prefix = "cmpload";
	opt.msg_timeout = 15;
	while ((ch = getopt_long(argc, argv, "c:d:n:u:s:r:o:v", lopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': opt.conc = (int)ld_num(optarg, 1, LD_CONC_MAX); break;
		case 'd': opt.duration = (int)ld_num(optarg, 1, 86400); break;
		case 'n': opt.max = ld_num(optarg, 0, 1000000000L); break;
		case 'u': url = optarg; break;
		case 's': opt.secret = optarg; break;
		case 'r': opt.ref = optarg; break;
		case 'o': opt.certs_path = optarg; break;
		case 'v': opt.verbose = 1; break;
		case 'P': opt.prefix = optarg; break;
		case 'R': opt.recipient = optarg; break;
		case 'K': opt.reuse_key = 1; break;
		case 'I': opt.implicit = 1; break;
		case 'N': opt.no_confirm = 1; break;
		case 'E': opt.unprotected_errors = 1; break;
		case 'T': opt.msg_timeout = (int)ld_num(optarg, 1, 3600); break;
		case 'D': opt.retry_delay_ms = ld_num(optarg, 0, 60000); break;
		case 'V': opt.devices_path = optarg; break;
		case 'C': opt.conn = ld_conn_mode(optarg); break;
		case 'k': opt.key_pool = (int)ld_num(optarg, 1, LD_POOL_MAX);
			break;
		case 'x': opt.cert_path = optarg; break;
		case 'y': opt.key_path = optarg; break;
		case 't': opt.trusted_path = optarg; break;
		case 'A': opt.accept_any = 1; break;
		default: ld_usage();
		}
	}
	if (opt.reuse_key && opt.key_pool == 0)
		opt.key_pool = 1;
	if (optind != argc || url == NULL || (opt.devices_path == NULL &&
	    opt.cert_path == NULL && (opt.secret == NULL || opt.ref == NULL)) ||
	    (opt.cert_path == NULL) != (opt.key_path == NULL) ||
	    strlen(opt.prefix) > LD_SUBJECT_MAX / 2)
		ld_usage();
	if (ld_credentials_load() != 0)
		goto out;
	/* a kept connection the server closed: EPIPE, not a signal */
	signal(SIGPIPE, SIG_IGN);
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = ld_on_stop;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	if (opt.devices_path != NULL) {
		if (ld_devices_load(opt.devices_path) != 0)
			goto out;
		if (opt.max == 0 || opt.max > ld_ndev)
			opt.max = ld_ndev;
	}
	if (!OSSL_HTTP_parse_url(url, &ssl, &user, &opt.host, &opt.port, NULL,
	    &opt.path, &query, &frag) || ssl) {
		fprintf(stderr, "cmpload: %s: not an http:// URL\n", url);
		goto out;
	}
	if (opt.certs_path != NULL &&
	    (ld.certs = fopen(opt.certs_path, "w")) == NULL) {
		perror(opt.certs_path);
		goto out;
	}
	if ((th = calloc((size_t)opt.conc, sizeof(*th))) == NULL)
		goto out;
	for (i = 0; i < opt.conc; i++)
		if (ld_pool_fill(&th[i]) != 0) {
			fprintf(stderr, "cmpload: cannot make the keys\n");
			goto out;
		}
	cpu0 = ld_cpu_ms();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ld_end = t0;
	ld_end.tv_sec += opt.duration;
	/* the clients start with the stop signals blocked, so that only
	 * this thread, waiting for them, takes one: no client's read or
	 * poll is cut short by it */
	sigemptyset(&stopsigs);
	sigaddset(&stopsigs, SIGTERM);
	sigaddset(&stopsigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stopsigs, NULL);
	for (n = 0; n < opt.conc; n++) {
		th[n].no = n;
		if (pthread_create(&th[n].tid, NULL, ld_run, &th[n]) != 0)
			break;
	}
	pthread_sigmask(SIG_UNBLOCK, &stopsigs, NULL);
	for (i = 0; i < n; i++)
		pthread_join(th[i].tid, NULL);
	if (n == opt.conc) {
		ld_report(ld_ms_since(&t0), ld_cpu_ms() - cpu0);
		rc = 0;
	} else {
		fprintf(stderr, "cmpload: could not start %d threads\n",
		    opt.conc);
	}
 out:
	for (i = 0; th != NULL && i < opt.conc; i++) {
		for (n = 0; n < th[i].npool; n++)
			EVP_PKEY_free(th[i].pool[n]);
		free(th[i].pool);
	}
	free(th);
	X509_free(ld_cert);
	EVP_PKEY_free(ld_cert_key);
	X509_STORE_free(ld_trusted);
	for (i = 0; i < ld_ndev; i++) {
		free(ld_dev[i].ref);
		free(ld_dev[i].secret);
	}
	free(ld_dev);
	free(ld.lat);
	if (ld.certs != NULL)
		fclose(ld.certs);
	OPENSSL_free(user);
	OPENSSL_free(opt.host);
	OPENSSL_free(opt.port);
	OPENSSL_free(opt.path);
	OPENSSL_free(query);
	OPENSSL_free(frag);
	return rc;
}
