/*
 * worker.c: a stop signal that is pending while the listening socket is
 * readable must still stop the worker. ppoll() that finds a descriptor
 * ready returns without running the handler of a signal its mask
 * unblocked, and under steady load the socket is always ready.
 */
#include "config.h"

#include <signal.h>
#include <unistd.h>

#include "cmpd.h"
#include "tap.h"

int
main(void)
{
	sigset_t stop, pending;
	int p[2];

	worker_signals(&stop);
	ok(!worker_stopping(), "not stopping at start");
	if (pipe(p) != 0 || write(p[1], "x", 1) != 1) {
		printf("Bail out! pipe\n");
		return 1;
	}
	is_int(worker_wait(p[0], &stop, -1), 0, "readable fd: wait returns");
	ok(!worker_stopping(), "no signal: not stopping");

	raise(SIGTERM);		/* blocked: stays pending */
	sigpending(&pending);
	ok(sigismember(&pending, SIGTERM), "SIGTERM pending");
	is_int(worker_wait(p[0], &stop, -1), 0, "readable fd with SIGTERM pending");
	ok(worker_stopping(), "the pending SIGTERM stops the worker");
	sigpending(&pending);
	ok(!sigismember(&pending, SIGTERM), "and is no longer pending");

	raise(SIGUSR1);		/* ignored, as libfcgi's shutdown signal */
	ok(1, "SIGUSR1 does not kill a worker");
	return done_testing();
}
