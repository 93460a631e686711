/*
 * Counters for GET /metrics (Prometheus text format 0.0.4).
 *
 * Every worker serves its own requests, but the answer must cover all of
 * them, and the counts of a worker that died or was recycled must survive
 * it. So the counters live in one shared anonymous mapping that the
 * master creates before it forks: every worker, respawned ones included,
 * inherits the same pages. Updates are relaxed atomic increments (no lock
 * on the request path); a reader may see one request half counted, which
 * a scrape tolerates.
 *
 * Labels come from fixed tables only (route kind, PKIBody type, outcome
 * name, connector call and result): never a profile name or a path, so
 * the number of series is bounded. Processes without the mapping (cmpctl,
 * cmp-localca, unit tests) count nothing.
 *
 * This file depends on libc and the name tables only: db.c, which
 * cmp-localca links, calls in here.
 */
#include "config.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmpd.h"
/* After cmpd.h: its enum prot_method has a PROT_NONE too. */
#include <sys/mman.h>

#define METRICS_TEXT_MAX	(4 * 1024 * 1024)	/* the whole answer */

/* Outcomes besides the CMP error table's names (http.c's r.outcome). */
static const char *const metrics_extra_outcomes[] = {
	"HTTP_NO_ROUTE", "HTTP_METHOD", "HTTP_CONTENT_TYPE", "HTTP_TOO_LARGE",
	"HTTP_BAD_LENGTH", "HTTP_SHORT_BODY", "HTTP_TIMEOUT", "HTTP_NOMEM",
	"HTTP_INTERNAL",
	"API_OK", "API_REFUSED", "API_ERROR",
	"HEALTH_OK", "HEALTH_DEGRADED", "HEALTH_DOWN", "METRICS_OK",
	"other",	/* anything not listed: keeps the label set closed */
};
#define METRICS_OUTCOMES	(CMPF__COUNT + NITEMS(metrics_extra_outcomes))
#define METRICS_BODIES		(CMPD_BODY_MAX + 2)	/* [0]: no body */

/* Upper bounds of the duration buckets, in microseconds and as printed. */
static const unsigned long long metrics_le_us[] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
	5000000, 10000000,
};
static const char *const metrics_le_text[] = {
	"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
	"5", "10",
};
#define METRICS_BUCKETS		NITEMS(metrics_le_us)	/* +Inf is extra */

static const char *const metrics_call_names[METRICS_CALL__COUNT] = {
	[METRICS_CALL_ISSUE] = "issue",
	[METRICS_CALL_RENEW] = "renew",
	[METRICS_CALL_REVOKE] = "revoke",
	[METRICS_CALL_CA_CERTS] = "caCertificates",
	[METRICS_CALL_LOOKUP] = "lookup",
	[METRICS_CALL_CRL] = "crl",
	[METRICS_CALL_ROOT_UPDATE] = "rootCaKeyUpdate",
};
#define METRICS_RESULTS		(CONN_PENDING + 1)
static const char *const metrics_result_names[METRICS_RESULTS] = {
	[CONN_OK] = "ok",
	[CONN_UNAVAILABLE] = "unavailable",
	[CONN_REJECTED] = "rejected",
	[CONN_NOT_FOUND] = "not_found",
	[CONN_FAILED] = "failed",
	[CONN_INSECURE] = "insecure",
	[CONN_BUSY] = "busy",
	[CONN_PENDING] = "pending",
};
static const char *const metrics_restart_names[] = { "died", "recycled" };
static const char *const metrics_recon_names[METRICS_RECON__COUNT] = {
	[METRICS_RECON_RECORDED] = "recorded",
	[METRICS_RECON_NOTHING] = "nothing_issued",
	[METRICS_RECON_UNKNOWN] = "unknown_at_ca",
	[METRICS_RECON_RETRY] = "retry",
};
static const char *const metrics_rev_names[METRICS_REV__COUNT] = {
	[METRICS_REV_REVOKED] = "revoked",
	[METRICS_REV_ALREADY] = "already_revoked",
	[METRICS_REV_FAILED] = "failed",
	[METRICS_REV_GAVE_UP] = "gave_up",
};

struct metrics_shm {
	atomic_ullong requests[ROUTE__COUNT][METRICS_BODIES][METRICS_OUTCOMES];
	/* per bucket, not cumulative: the reader sums, so the +Inf bucket
	 * and _count are one number and cannot disagree */
	atomic_ullong duration[ROUTE__COUNT][METRICS_BUCKETS + 1];
	atomic_ullong duration_sum_us[ROUTE__COUNT];
	atomic_ullong connector[METRICS_CALL__COUNT][METRICS_RESULTS];
	atomic_ullong db_errors;
	atomic_ullong db_retries[DB_RETRY__COUNT];
	atomic_ullong db_failovers, db_reconnects;
	/* per endpoint as a worker last found it: 0 not yet, 1 up, 2 down */
	atomic_int db_endpoint_up[DB_HOSTS_MAX];
	atomic_ullong restarts[NITEMS(metrics_restart_names)];
	atomic_ullong workers_alive;
	atomic_ullong recon[METRICS_RECON__COUNT];
	atomic_ullong revocations[METRICS_REV__COUNT];
	atomic_ullong sweep_runs;	/* runs this host's workers made */
	/* counted by the last sweep; -1 (all ones) until one ran */
	atomic_llong backlog[4];
	long long start_time;		/* written before the first fork */
	/* connector_workers_max: 1 at i while the worker the master gave
	 * index i is in a connector call; the master clears the flag of a
	 * worker it reaps, so a killed one leaks nothing */
	atomic_int conn_busy[METRICS_CONN_SLOTS];
	/* the ticket of the worker at i while it waits for a place, 0 when
	 * it does not; tickets are drawn in turn from conn_tickets, and the
	 * places go to the waiters in ticket order */
	atomic_ullong conn_wait[METRICS_CONN_SLOTS];
	atomic_ullong conn_tickets;
	atomic_int conn_cap;
	atomic_ullong conn_refused;
};

static struct metrics_shm *shm;
static int conn_slot = -1;	/* this worker's index in conn_busy */
static int conn_depth;		/* nested calls of one request */

/* Text being built, with a hard maximum (CONVENTIONS 5). */
struct metrics_buf {
	char	*p;
	size_t	 len, cap;
	int	 err;
};

int
metrics_init(void)
{
	void *p;

	if (shm != NULL)
		return 0;
	/* Shared, so that the workers forked after this count into it. */
	p = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	/* Fresh anonymous pages are zero: every counter starts at 0. */
	shm = p;
	shm->start_time = (long long)time(NULL);
	atomic_store(&shm->backlog[0], -1);
	atomic_store(&shm->backlog[1], -1);
	atomic_store(&shm->backlog[2], -1);
	atomic_store(&shm->backlog[3], -1);
	return 0;
}

static size_t
metrics_outcome_index(const char *outcome)
{
	size_t i;

	if (outcome == NULL)
		return METRICS_OUTCOMES - 1;
	/* Every outcome name has its table's prefix: one compare rules
	 * out the other table. */
	if (strncmp(outcome, "CMPF_", 5) == 0) {
		for (i = 0; i < CMPF__COUNT; i++)
			if (strcmp(outcome, cmp_error_def((enum cmp_fail)i)->name)
			    == 0)
				return i;
	} else {
		for (i = 0; i < NITEMS(metrics_extra_outcomes); i++)
			if (strcmp(outcome, metrics_extra_outcomes[i]) == 0)
				return CMPF__COUNT + i;
	}
	return METRICS_OUTCOMES - 1;
}

static const char *
metrics_outcome_name(size_t i)
{
	if (i < CMPF__COUNT)
		return cmp_error_def((enum cmp_fail)i)->name;
	return metrics_extra_outcomes[i - CMPF__COUNT];
}

/* One request has been answered (http.c). body_type -1: none decoded. */
void
metrics_request(enum route_kind kind, int body_type, const char *outcome,
    double ms)
{
	unsigned long long us;
	size_t b, k, o;

	if (shm == NULL)
		return;
	k = (unsigned)kind < ROUTE__COUNT ? (size_t)kind : ROUTE_NONE;
	b = body_type >= 0 && body_type <= CMPD_BODY_MAX ?
	    (size_t)body_type + 1 : 0;
	o = metrics_outcome_index(outcome);
	atomic_fetch_add_explicit(&shm->requests[k][b][o], 1,
	    memory_order_relaxed);
	us = ms > 0 ? (unsigned long long)(ms * 1000.0) : 0;
	for (b = 0; b < METRICS_BUCKETS && us > metrics_le_us[b]; b++)
		;
	atomic_fetch_add_explicit(&shm->duration[k][b], 1,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&shm->duration_sum_us[k], us,
	    memory_order_relaxed);
}

/* A connector call has ended (conn.c). */
void
metrics_connector(enum metrics_call call, enum conn_status status)
{
	if (shm == NULL || (unsigned)call >= METRICS_CALL__COUNT)
		return;
	if ((unsigned)status >= METRICS_RESULTS)
		status = CONN_FAILED;
	atomic_fetch_add_explicit(&shm->connector[call][status], 1,
	    memory_order_relaxed);
}

/* A database statement (or the connection for it) failed (db.c). */
void
metrics_db_error(void)
{
	if (shm != NULL)
		atomic_fetch_add_explicit(&shm->db_errors, 1,
		    memory_order_relaxed);
}

/* A transaction (or a statement) runs again (db.c); why: enum db_retry. */
void
metrics_db_retry(int why)
{
	if (shm != NULL && why > DB_RETRY_NO && why < DB_RETRY__COUNT)
		atomic_fetch_add_explicit(&shm->db_retries[why], 1,
		    memory_order_relaxed);
}

/* A connection went to another endpoint: n did not answer first. */
void
metrics_db_failover(unsigned int n)
{
	if (shm != NULL)
		atomic_fetch_add_explicit(&shm->db_failovers, n,
		    memory_order_relaxed);
}

/* A connection opened again after the last one was lost. */
void
metrics_db_reconnect(void)
{
	if (shm != NULL)
		atomic_fetch_add_explicit(&shm->db_reconnects, 1,
		    memory_order_relaxed);
}

/* Endpoint i of db_hosts answered (up) or did not. */
void
metrics_db_endpoint(size_t i, int up)
{
	if (shm != NULL && i < DB_HOSTS_MAX)
		atomic_store_explicit(&shm->db_endpoint_up[i], up ? 1 : 2,
		    memory_order_relaxed);
}

/* The master, at a reload that changed db_hosts: the values are kept
 * by position in the list, so every endpoint is "never tried" again. */
void
metrics_db_endpoints_reset(void)
{
	size_t i;

	if (shm == NULL)
		return;
	for (i = 0; i < DB_HOSTS_MAX; i++)
		atomic_store_explicit(&shm->db_endpoint_up[i], 0,
		    memory_order_relaxed);
}

/* The master: a worker left, on its own (recycled) or not (died). */
void
metrics_worker_restart(int recycled)
{
	if (shm != NULL)
		atomic_fetch_add_explicit(&shm->restarts[recycled ? 1 : 0], 1,
		    memory_order_relaxed);
}

/* The master: workers running in their slots now. */
void
metrics_workers_alive(int n)
{
	if (shm != NULL)
		atomic_store_explicit(&shm->workers_alive,
		    (unsigned long long)(n > 0 ? n : 0), memory_order_relaxed);
}

void
metrics_reconcile(enum metrics_recon r)
{
	if (shm != NULL && (unsigned)r < METRICS_RECON__COUNT)
		atomic_fetch_add_explicit(&shm->recon[r], 1,
		    memory_order_relaxed);
}

void
metrics_revocation(enum metrics_revocation r)
{
	if (shm != NULL && (unsigned)r < METRICS_REV__COUNT)
		atomic_fetch_add_explicit(&shm->revocations[r], 1,
		    memory_order_relaxed);
}

void
metrics_sweep_run(void)
{
	if (shm != NULL)
		atomic_fetch_add_explicit(&shm->sweep_runs, 1,
		    memory_order_relaxed);
}

/* The sweep: what waits for it, counted in the database. */
void
metrics_backlog(long long revoke_pending, long long issuing,
    long long unknown_at_ca, long long waiting)
{
	if (shm == NULL)
		return;
	atomic_store_explicit(&shm->backlog[0], revoke_pending,
	    memory_order_relaxed);
	atomic_store_explicit(&shm->backlog[1], issuing, memory_order_relaxed);
	atomic_store_explicit(&shm->backlog[2], unknown_at_ca,
	    memory_order_relaxed);
	atomic_store_explicit(&shm->backlog[3], waiting, memory_order_relaxed);
}

/* The master: how many workers may be in connector calls at once. */
void
metrics_conn_cap(int n)
{
	if (shm != NULL)
		atomic_store(&shm->conn_cap, n > 0 ? n : 1);
}

/* A new worker (after fork): its index in the busy flags, -1 for none. */
void
metrics_conn_slot(int i)
{
	conn_slot = i >= 0 && i < METRICS_CONN_SLOTS ? i : -1;
	conn_depth = 0;
}

/* The master: the worker with index i is gone. */
void
metrics_conn_clear(int i)
{
	if (shm != NULL && i >= 0 && i < METRICS_CONN_SLOTS) {
		atomic_store(&shm->conn_wait[i], 0);
		atomic_store(&shm->conn_busy[i], 0);
	}
}

/*
 * The workers in connector calls (in_call) and those waiting for a place
 * (waiting); a worker that waits is not counted in a call while it tries
 * a place.
 */
static void
metrics_conn_count(int *in_call, int *waiting)
{
	int i;

	*in_call = *waiting = 0;
	for (i = 0; i < METRICS_CONN_SLOTS; i++) {
		if (atomic_load(&shm->conn_wait[i]) != 0)
			(*waiting)++;
		else if (atomic_load(&shm->conn_busy[i]) != 0)
			(*in_call)++;
	}
}

/*
 * The places taken by other workers, and those owed to the workers that
 * wait since before ticket (to every one that waits, for ticket 0: a
 * worker that has not waited goes after them). Each worker is counted
 * once: its ticket is read before its flag, and a waiter that gets a
 * place sets its flag before it gives its ticket back.
 */
static int
metrics_conn_ahead(unsigned long long ticket)
{
	unsigned long long w;
	int i, n = 0;

	for (i = 0; i < METRICS_CONN_SLOTS; i++) {
		if (i == conn_slot)
			continue;
		if ((w = atomic_load(&shm->conn_wait[i])) != 0)
			n += ticket == 0 || w < ticket;
		else
			n += atomic_load(&shm->conn_busy[i]) != 0;
	}
	return n;
}

/*
 * A place for this worker, which waits with ticket (0: it does not): 0
 * when it got one, -1 when the places are taken or owed. The flag is set
 * first and the others counted after (sequentially consistent), so two
 * workers racing for the last place never both get it.
 */
static int
metrics_conn_try(unsigned long long ticket)
{
	atomic_store(&shm->conn_busy[conn_slot], 1);
	if (1 + metrics_conn_ahead(ticket) > atomic_load(&shm->conn_cap)) {
		atomic_store(&shm->conn_busy[conn_slot], 0);
		return -1;
	}
	if (ticket != 0)
		atomic_store(&shm->conn_wait[conn_slot], 0);
	conn_depth = 1;
	return 0;
}

/*
 * Before a connector call: 0 when this worker may make it, -1 when
 * connector_workers_max workers are in calls already or others wait for
 * the next place. Processes without the shared mapping (cmpctl, --sweep)
 * are not limited.
 */
int
metrics_conn_enter(void)
{
	if (shm == NULL)
		return 0;
	if (conn_depth > 0) {
		conn_depth++;
		return 0;
	}
	if (conn_slot < 0)
		return -1;
	return metrics_conn_try(0);
}

/*
 * metrics_conn_enter(), waited for up to wait_ms in line: a place held
 * for a few milliseconds by a quick call (or a sweep) is waited for, and
 * the workers that wait get the places in the order they came, before any
 * that comes after them; one held by a hanging CA is not, the caller
 * answers "busy" after wait_ms. A place freed is taken within
 * METRICS_CONN_STEP_MS.
 */
int
metrics_conn_enter_wait(int wait_ms)
{
	static const struct timespec step = { 0,
	    METRICS_CONN_STEP_MS * 1000000L };
	unsigned long long ticket;
	struct timespec start;

	if (metrics_conn_enter() == 0)
		return 0;
	if (shm == NULL || conn_slot < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	ticket = atomic_fetch_add(&shm->conn_tickets, 1) + 1;
	atomic_store(&shm->conn_wait[conn_slot], ticket);
	while (metrics_conn_try(ticket) != 0) {
		if (util_elapsed_ms(&start) >= wait_ms) {
			atomic_store(&shm->conn_wait[conn_slot], 0);
			atomic_fetch_add(&shm->conn_refused, 1);
			return -1;
		}
		nanosleep(&step, NULL);
	}
	return 0;
}

void
metrics_conn_leave(void)
{
	if (shm == NULL || conn_depth == 0)
		return;
	if (--conn_depth == 0 && conn_slot >= 0)
		atomic_store(&shm->conn_busy[conn_slot], 0);
}

static unsigned long long
metrics_get(atomic_ullong *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

static void __attribute__((format(printf, 2, 3)))
metrics_printf(struct metrics_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *p;
	int n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		if (b->cap >= METRICS_TEXT_MAX) {
			b->err = 1;
			return;
		}
		cap = b->cap * 2 > METRICS_TEXT_MAX ? METRICS_TEXT_MAX :
		    b->cap * 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->err = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static void
metrics_head(struct metrics_buf *b, const char *name, const char *type,
    const char *help)
{
	metrics_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/*
 * The CMP requests refused, by the PKIFailureInfo bit of their answer
 * (RFC 9810 5.2.3): the same counters as cmpd_requests_total, summed over
 * the outcomes that carry that bit (src/cmp_error.c), so that a dashboard
 * needs no copy of the error table.
 */
static void
metrics_render_failinfo(struct metrics_buf *b)
{
	static const enum route_kind cmp_kinds[] = { ROUTE_CMP_PROFILE,
	    ROUTE_RA_PROFILE };
	unsigned long long sum[CMPD_FAIL_MAX + 1];
	size_t k, i, o;
	int bit;

	memset(sum, 0, sizeof(sum));
	for (k = 0; k < NITEMS(cmp_kinds); k++)
		for (i = 0; i < METRICS_BODIES; i++)
			for (o = 0; o < CMPF__COUNT; o++) {
				bit = cmp_error_def((enum cmp_fail)o)->failbit;
				if (bit < 0 || bit > CMPD_FAIL_MAX)
					continue;
				sum[bit] += metrics_get(
				    &shm->requests[cmp_kinds[k]][i][o]);
			}
	metrics_head(b, "cmpd_cmp_failures_total", "counter",
	    "CMP requests refused, by the PKIFailureInfo of the answer.");
	for (bit = 0; bit <= CMPD_FAIL_MAX; bit++)
		if (sum[bit] != 0)
			metrics_printf(b, "cmpd_cmp_failures_total{failInfo="
			    "\"%s\"} %llu\n", cmp_asn1_failinfo_name(bit),
			    sum[bit]);
}

static void
metrics_render_requests(struct metrics_buf *b)
{
	unsigned long long v, cum;
	size_t k, i, o;

	metrics_head(b, "cmpd_requests_total", "counter",
	    "Requests answered, by route kind, PKIBody type and outcome.");
	for (k = 0; k < ROUTE__COUNT; k++)
		for (i = 0; i < METRICS_BODIES; i++)
			for (o = 0; o < METRICS_OUTCOMES; o++) {
				v = metrics_get(&shm->requests[k][i][o]);
				if (v == 0)
					continue;
				metrics_printf(b, "cmpd_requests_total{route="
				    "\"%s\",body=\"%s\",outcome=\"%s\"} %llu\n",
				    route_kind_name((enum route_kind)k),
				    i == 0 ? "-" : cmp_asn1_body_name((int)i - 1),
				    metrics_outcome_name(o), v);
			}

	metrics_render_failinfo(b);

	metrics_head(b, "cmpd_request_duration_seconds", "histogram",
	    "Time from the start of a request to its log line.");
	for (k = 0; k < ROUTE__COUNT; k++) {
		const char *rn = route_kind_name((enum route_kind)k);

		for (i = 0, cum = 0; i <= METRICS_BUCKETS; i++) {
			cum += metrics_get(&shm->duration[k][i]);
			metrics_printf(b, "cmpd_request_duration_seconds_bucket"
			    "{route=\"%s\",le=\"%s\"} %llu\n", rn,
			    i < METRICS_BUCKETS ? metrics_le_text[i] : "+Inf",
			    cum);
		}
		v = metrics_get(&shm->duration_sum_us[k]);
		metrics_printf(b, "cmpd_request_duration_seconds_sum"
		    "{route=\"%s\"} %llu.%06llu\n", rn, v / 1000000,
		    v % 1000000);
		metrics_printf(b, "cmpd_request_duration_seconds_count"
		    "{route=\"%s\"} %llu\n", rn, cum);
	}
}

static void
metrics_render_reconcile(struct metrics_buf *b)
{
	static const char *const gauges[4][2] = {
		{ "cmpd_revoke_pending_certificates", "Certificates waiting "
		    "for their revocation at the CA (revoke_pending)" },
		{ "cmpd_issuing_transactions", "Transactions whose connector "
		    "call has not been settled (issuing)" },
		{ "cmpd_unknown_at_ca_transactions", "Transactions the CA "
		    "could not be asked about (unknown_at_ca): check the CA" },
		{ "cmpd_waiting_transactions", "Requests answered waiting "
		    "whose client polls (delayed delivery)" },
	};
	long long v;
	size_t i;

	metrics_head(b, "cmpd_reconcile_total", "counter",
	    "Transactions left issuing that the sweep settled, by result.");
	for (i = 0; i < METRICS_RECON__COUNT; i++)
		metrics_printf(b, "cmpd_reconcile_total{result=\"%s\"} %llu\n",
		    metrics_recon_names[i], metrics_get(&shm->recon[i]));
	metrics_head(b, "cmpd_revocations_total", "counter",
	    "Revocations cmpd starts itself (certificates not delivered, "
	    "rejected or unconfirmed), by result.");
	for (i = 0; i < METRICS_REV__COUNT; i++)
		metrics_printf(b, "cmpd_revocations_total{result=\"%s\"} "
		    "%llu\n", metrics_rev_names[i],
		    metrics_get(&shm->revocations[i]));
	metrics_head(b, "cmpd_sweep_runs_total", "counter",
	    "Sweep runs this host's workers made (one at a time across "
	    "hosts, sweep_interval apart).");
	metrics_printf(b, "cmpd_sweep_runs_total %llu\n",
	    metrics_get(&shm->sweep_runs));
	for (i = 0; i < NITEMS(gauges); i++) {
		v = atomic_load_explicit(&shm->backlog[i],
		    memory_order_relaxed);
		if (v < 0)
			continue;	/* no sweep has counted yet */
		metrics_head(b, gauges[i][0], "gauge", gauges[i][1]);
		metrics_printf(b, "%s %lld\n", gauges[i][0], v);
	}
}

static void
metrics_render_db(struct metrics_buf *b, const struct conf *c)
{
	const struct db_login *l = db_login_get();
	char name[DB_HOST_MAX + 16];
	size_t i, n;
	int v;

	metrics_head(b, "cmpd_db_errors_total", "counter",
	    "Database statements that failed, connection failures included.");
	metrics_printf(b, "cmpd_db_errors_total %llu\n",
	    metrics_get(&shm->db_errors));
	metrics_head(b, "cmpd_db_retries_total", "counter",
	    "Database transactions (or single statements) run again, by the "
	    "error that ended the run before.");
	for (i = DB_RETRY_NO + 1; i < DB_RETRY__COUNT; i++)
		metrics_printf(b, "cmpd_db_retries_total{error=\"%s\"} %llu\n",
		    db_retry_name((enum db_retry)i),
		    metrics_get(&shm->db_retries[i]));
	metrics_head(b, "cmpd_db_failovers_total", "counter",
	    "Database endpoints passed over because they did not answer.");
	metrics_printf(b, "cmpd_db_failovers_total %llu\n",
	    metrics_get(&shm->db_failovers));
	metrics_head(b, "cmpd_db_reconnects_total", "counter",
	    "Database connections opened again after one was lost.");
	metrics_printf(b, "cmpd_db_reconnects_total %llu\n",
	    metrics_get(&shm->db_reconnects));
	if (c == NULL || l == NULL)
		return;
	n = l->n > 0 ? l->n : 1;
	metrics_head(b, "cmpd_db_endpoint_up", "gauge",
	    "1 if a worker's last connection to the database endpoint "
	    "succeeded, 0 if it failed or was lost (absent: never tried).");
	for (i = 0; i < n && i < DB_HOSTS_MAX; i++) {
		if ((v = atomic_load_explicit(&shm->db_endpoint_up[i],
		    memory_order_relaxed)) == 0)
			continue;
		db_endpoint_name(l, i, name, sizeof(name));
		metrics_printf(b, "cmpd_db_endpoint_up{endpoint=\"%s\"} %d\n",
		    name, v == 1);
	}
}

/*
 * The exposition text (malloc'd, *len bytes, NUL-terminated), or NULL.
 * It reads only the shared counters: no database is needed. conf: for
 * the names of the database endpoints.
 */
char *
metrics_render(const struct conf *conf, size_t *len)
{
	struct metrics_buf b;
	size_t c, r;
	int in_call, waiting;

	*len = 0;
	memset(&b, 0, sizeof(b));
	b.cap = 16384;
	if ((b.p = malloc(b.cap)) == NULL)
		return NULL;
	metrics_head(&b, "cmpd_up", "gauge", "1 while cmpd answers.");
	metrics_printf(&b, "cmpd_up 1\n");
	if (shm == NULL)
		goto out;
	metrics_head(&b, "cmpd_start_time_seconds", "gauge",
	    "Start of the cmpd master, seconds since the Unix epoch.");
	metrics_printf(&b, "cmpd_start_time_seconds %lld\n", shm->start_time);
	metrics_head(&b, "cmpd_workers_alive", "gauge",
	    "Workers running in their slots.");
	metrics_printf(&b, "cmpd_workers_alive %llu\n",
	    metrics_get(&shm->workers_alive));
	metrics_head(&b, "cmpd_worker_restarts_total", "counter",
	    "Workers replaced: died (crash, kill) or recycled (max_requests).");
	for (r = 0; r < NITEMS(metrics_restart_names); r++)
		metrics_printf(&b, "cmpd_worker_restarts_total{reason=\"%s\"} "
		    "%llu\n", metrics_restart_names[r],
		    metrics_get(&shm->restarts[r]));
	metrics_render_requests(&b);
	metrics_head(&b, "cmpd_connector_calls_total", "counter",
	    "Calls to authority provider connectors, by call and result.");
	for (c = 0; c < METRICS_CALL__COUNT; c++)
		for (r = 0; r < METRICS_RESULTS; r++)
			metrics_printf(&b, "cmpd_connector_calls_total{call="
			    "\"%s\",result=\"%s\"} %llu\n",
			    metrics_call_names[c], metrics_result_names[r],
			    metrics_get(&shm->connector[c][r]));
	metrics_render_reconcile(&b);
	metrics_conn_count(&in_call, &waiting);
	metrics_head(&b, "cmpd_connector_busy_workers", "gauge",
	    "Workers in a connector call now.");
	metrics_printf(&b, "cmpd_connector_busy_workers %d\n", in_call);
	metrics_head(&b, "cmpd_connector_waiting_workers", "gauge",
	    "Workers waiting for a place among connector_workers_max now.");
	metrics_printf(&b, "cmpd_connector_waiting_workers %d\n", waiting);
	metrics_head(&b, "cmpd_connector_workers_max", "gauge",
	    "Workers allowed in connector calls at once.");
	metrics_printf(&b, "cmpd_connector_workers_max %d\n",
	    atomic_load(&shm->conn_cap));
	metrics_head(&b, "cmpd_connector_busy_refused_total", "counter",
	    "Connector calls not made: connector_workers_max reached.");
	metrics_printf(&b, "cmpd_connector_busy_refused_total %llu\n",
	    metrics_get(&shm->conn_refused));
	metrics_render_db(&b, conf);
 out:
	if (b.err) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
