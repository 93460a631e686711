/*
 * GET /health's look at the database endpoints other than the one in
 * use: does each answer now? All of them at once, on connections of
 * their own that are closed again, within one bound in all, with the
 * client library's non-blocking calls (MariaDB Connector/C "Non-blocking
 * API"). One after the other, a node that a partition cut off (its
 * packets dropped, no refusal) held the check for the connect timeout,
 * and each such node added as much: a load balancer that gives its check
 * less time took the host out while its own endpoint answered.
 *
 * "Answers" is what db_open() would use: a server that takes a login,
 * and, on a Galera node, one that is in the primary component and
 * ready (wsrep_ready); the login and the question are both in the bound.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mysql.h>
#include <mysqld_error.h>
#include <openssl/crypto.h>

#include "cmpd.h"

/* One question for both: not a Galera node (wsrep_on off, or no wsrep
 * variables at all: an error other than 1047), or a node ready for use. */
static const char probe_sql[] = "SELECT @@wsrep_on, (SELECT VARIABLE_VALUE "
    "FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = "
    "'WSREP_READY')";

enum probe_step { PROBE_CONNECT, PROBE_PREPARE, PROBE_EXECUTE, PROBE_FETCH,
    PROBE_DONE };

struct probe {
	MYSQL	*m;
	MYSQL_STMT *st;
	MYSQL_BIND rb[2];
	char	 on[8], ready[8];
	unsigned long on_len, ready_len;
	my_bool	 on_null, ready_null;
	enum probe_step step;
	int	 wait;		/* MYSQL_WAIT_* the library waits for */
	int	 up;		/* at PROBE_DONE: 1 answered, 0 not */
};

/* The result of the step that just completed, ret its return value. */
static void
probe_next(struct probe *p, int ret)
{
	unsigned int err;

	switch (p->step) {
	case PROBE_CONNECT:
		if (ret == 0 || (p->st = mysql_stmt_init(p->m)) == NULL)
			goto done;
		p->step = PROBE_PREPARE;
		p->wait = mysql_stmt_prepare_start(&ret, p->st, probe_sql,
		    sizeof(probe_sql) - 1);
		break;
	case PROBE_PREPARE:
		if (ret != 0)
			goto failed;
		p->step = PROBE_EXECUTE;
		p->wait = mysql_stmt_execute_start(&ret, p->st);
		break;
	case PROBE_EXECUTE:
		if (ret != 0)
			goto failed;
		memset(p->rb, 0, sizeof(p->rb));
		p->rb[0].buffer_type = MYSQL_TYPE_STRING;
		p->rb[0].buffer = p->on;
		p->rb[0].buffer_length = sizeof(p->on) - 1;
		p->rb[0].length = &p->on_len;
		p->rb[0].is_null = &p->on_null;
		p->rb[1].buffer_type = MYSQL_TYPE_STRING;
		p->rb[1].buffer = p->ready;
		p->rb[1].buffer_length = sizeof(p->ready) - 1;
		p->rb[1].length = &p->ready_len;
		p->rb[1].is_null = &p->ready_null;
		if (mysql_stmt_bind_result(p->st, p->rb) != 0)
			goto done;
		p->step = PROBE_FETCH;
		p->wait = mysql_stmt_fetch_start(&ret, p->st);
		break;
	case PROBE_FETCH:
		if (ret != 0 && ret != MYSQL_DATA_TRUNCATED)
			goto done;
		p->on[p->on_len < sizeof(p->on) ? p->on_len :
		    sizeof(p->on) - 1] = '\0';
		p->ready[p->ready_len < sizeof(p->ready) ? p->ready_len :
		    sizeof(p->ready) - 1] = '\0';
		p->up = p->on_null || (strcmp(p->on, "1") != 0 &&
		    strcasecmp(p->on, "ON") != 0) ||
		    (!p->ready_null && strcasecmp(p->ready, "ON") == 0);
		goto done;
	case PROBE_DONE:
		break;
	}
	if (p->wait != 0)
		return;
	probe_next(p, ret);	/* completed at once */
	return;
 failed:
	/* ER_UNKNOWN_SYSTEM_VARIABLE: a server without wsrep variables,
	 * usable; any other (1047, a node out of the primary component; a
	 * connection lost, a server shutting down): not */
	err = mysql_stmt_errno(p->st);
	p->up = err == ER_UNKNOWN_SYSTEM_VARIABLE;
 done:
	p->step = PROBE_DONE;
	p->wait = 0;
}

/* The *_cont() of p's step, given what poll() saw. */
static void
probe_cont(struct probe *p, int ready)
{
	MYSQL *mret;
	int ret = 0;

	switch (p->step) {
	case PROBE_CONNECT:
		p->wait = mysql_real_connect_cont(&mret, p->m, ready);
		ret = mret != NULL;
		break;
	case PROBE_PREPARE:
		p->wait = mysql_stmt_prepare_cont(&ret, p->st, ready);
		break;
	case PROBE_EXECUTE:
		p->wait = mysql_stmt_execute_cont(&ret, p->st, ready);
		break;
	case PROBE_FETCH:
		p->wait = mysql_stmt_fetch_cont(&ret, p->st, ready);
		break;
	case PROBE_DONE:
		return;
	}
	if (p->wait == 0)
		probe_next(p, ret);
}

static void
probe_close(struct probe *p)
{
	if (p->m == NULL)
		return;
	/* a step cut short: its socket shut first, so that closing sends
	 * nothing that could wait */
	if (p->step != PROBE_DONE)
		(void)mariadb_cancel(p->m);
	mysql_close(p->m);
	if (p->st != NULL)
		mysql_stmt_close(p->st);	/* detached by mysql_close */
	p->m = NULL;
	p->st = NULL;
}

static int
probe_poll_events(int wait)
{
	return ((wait & MYSQL_WAIT_READ) ? POLLIN : 0) |
	    ((wait & MYSQL_WAIT_WRITE) ? POLLOUT : 0) |
	    ((wait & MYSQL_WAIT_EXCEPT) ? POLLPRI : 0);
}

/*
 * up[i] for each endpoint i of l with want[i] set: 1 when it answers, 2
 * when it does not or not within ms milliseconds of the start (all
 * endpoints together). n: the number of endpoints (l->n, or 1 for the
 * socket).
 */
void
db_probe_all(const struct db_login *l, size_t n, const unsigned char *want,
    unsigned char *up, long ms)
{
	struct probe p[DB_HOSTS_MAX];
	struct pollfd pfd[DB_HOSTS_MAX];
	size_t at[DB_HOSTS_MAX];
	struct timespec t0;
	unsigned int timeout = (unsigned int)(ms / 1000 + 1);
	char *pw = NULL;
	size_t i, k, pw_size = 0;
	long left;
	MYSQL *mret;
	int ev;

	if (n > DB_HOSTS_MAX)
		n = DB_HOSTS_MAX;
	memset(p, 0, sizeof(p));
	for (i = 0; i < n; i++)
		if (want[i])
			up[i] = 2;
	if (db_open_password(l, &pw, &pw_size) != 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		p[i].step = PROBE_DONE;
		if (!want[i] || (p[i].m = mysql_init(NULL)) == NULL)
			continue;
		if (mysql_optionsv(p[i].m, MYSQL_OPT_NONBLOCK, NULL) != 0) {
			mysql_close(p[i].m);
			p[i].m = NULL;
			continue;
		}
		mysql_optionsv(p[i].m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
		mysql_optionsv(p[i].m, MYSQL_OPT_READ_TIMEOUT, &timeout);
		mysql_optionsv(p[i].m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
		mysql_optionsv(p[i].m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
		p[i].step = PROBE_CONNECT;
		p[i].wait = mysql_real_connect_start(&mret, p[i].m,
		    l->n == 0 ? NULL : l->ep[i].host, l->user, pw, l->name,
		    l->n == 0 ? 0 : (unsigned int)l->ep[i].port,
		    l->n == 0 ? l->socket : NULL, 0);
		if (p[i].wait == 0)
			probe_next(&p[i], mret != NULL);
	}
	/* pw is the library's until the logins are over */
	while ((left = ms - util_elapsed_ms(&t0)) > 0) {
		for (i = k = 0; i < n; i++) {
			if (p[i].step == PROBE_DONE)
				continue;
			pfd[k].fd = mysql_get_socket(p[i].m);
			pfd[k].events = (short)probe_poll_events(p[i].wait);
			pfd[k].revents = 0;
			at[k++] = i;
		}
		if (k == 0 || poll(pfd, k, (int)left) <= 0)
			break;
		for (i = 0; i < k; i++) {
			if (pfd[i].revents == 0)
				continue;
			ev = ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) ?
			    MYSQL_WAIT_READ : 0) |
			    ((pfd[i].revents & (POLLOUT | POLLHUP | POLLERR)) ?
			    MYSQL_WAIT_WRITE : 0) |
			    ((pfd[i].revents & POLLPRI) ? MYSQL_WAIT_EXCEPT : 0);
			probe_cont(&p[at[i]], ev);
		}
	}
	for (i = 0; i < n; i++) {
		if (!want[i])
			continue;
		if (p[i].step == PROBE_DONE && p[i].up)
			up[i] = 1;
		else {
			char name[DB_HOST_MAX + 16];

			db_endpoint_name(l, i, name, sizeof(name));
			if (p[i].step != PROBE_DONE)
				log_warn("MariaDB %s: health probe: no answer "
				    "within %ld ms", name, ms);
			else
				log_warn("MariaDB %s: health probe: %s", name,
				    p[i].m != NULL && mysql_errno(p[i].m) != 0 ?
				    mysql_error(p[i].m) : "not ready for use");
		}
		probe_close(&p[i]);
	}
	if (pw != NULL) {
		OPENSSL_cleanse(pw, pw_size);
		free(pw);
	}
}
