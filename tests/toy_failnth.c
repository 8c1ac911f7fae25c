// SPDX-License-Identifier: GPL-2.0
/*
 * toy_failnth.c - make a network namespace, failing one allocation of its
 * set-up at a time, to run the unwinding of every pernet init (AF_TOY's
 * among them) that no other test reaches.
 *
 *   toy_failnth LAST
 *
 * The kernel's fail-nth (/proc/thread-self/fail-nth, with
 * CONFIG_FAULT_INJECTION; see Documentation/fault-injection/) makes the
 * Nth fault-injection point the calling task reaches from then on fail.
 * A child writes a very large N and calls unshare(CLONE_NEWNET): what is
 * left of N afterwards says how many points the set-up passed, COUNT.
 * Then, each in a fresh child, unshare() runs with fail-nth COUNT, COUNT-1,
 * ... down to COUNT-LAST+1: the last LAST points of the set-up fail one
 * at a time.  Those are where AF_TOY's init runs: its subsystems are the
 * last registered (after every built-in's), toy0 the last device.
 *
 * Which points count depends on the caller's set-up of failslab (its
 * ignore-gfp-wait, for GFP_KERNEL allocations); netns_fault_test.sh
 * makes it count every slab allocation.
 *
 * Prints one line, "toy_failnth count=N tried=T failed=F survived=S
 * missed=M", where failed is how many unshare() calls failed (ENOMEM,
 * mostly), survived how many succeeded although a failure was injected
 * (the kernel tolerated it), and missed how many had nothing injected
 * (the set-up varies a little from run to run).  Exits 0 if every child
 * exited normally; 1 if one was killed (printed), 2 on a usage error or
 * if fail-nth is not there.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAILNTH		"/proc/thread-self/fail-nth"
#define FAILNTH_BIG	1000000

enum { CHILD_FAILED = 10, CHILD_SURVIVED, CHILD_MISSED, CHILD_ERROR };

static int failnth_write(int fd, long n)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -1;
}

static long failnth_read(int fd)
{
	char buf[32];
	ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);

	if (len <= 0)
		return -1;
	buf[len] = '\0';
	return strtol(buf, NULL, 10);
}

/* In a child: unshare() with fail-nth @n; the exit code says what came. */
static void child(long n, int report)
{
	int fd = open(FAILNTH, O_RDWR);
	long left;
	int ret;

	if (fd < 0 || failnth_write(fd, n))
		_exit(CHILD_ERROR);
	ret = unshare(CLONE_NEWNET);
	left = failnth_read(fd);
	failnth_write(fd, 0);
	if (report >= 0) {
		if (write(report, &left, sizeof(left)) != sizeof(left))
			_exit(CHILD_ERROR);
		_exit(0);
	}
	if (left > 0)
		_exit(CHILD_MISSED);
	_exit(ret ? CHILD_FAILED : CHILD_SURVIVED);
}

/* Run child(@n) and return its exit code, or -signal if it was killed. */
static int run(long n, int report)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1000;
	if (!pid)
		child(n, report);
	if (waitpid(pid, &st, 0) != pid)
		return -1000;
	if (WIFSIGNALED(st))
		return -WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* How many fault-injection points one unshare(CLONE_NEWNET) passes. */
static long count_points(void)
{
	int p[2];
	long left = -1;

	if (pipe(p))
		return -1;
	if (run(FAILNTH_BIG, p[1]) != 0 ||
	    read(p[0], &left, sizeof(left)) != sizeof(left))
		left = -1;
	close(p[0]);
	close(p[1]);
	return left > 0 ? FAILNTH_BIG - left : -1;
}

int main(int argc, char **argv)
{
	long last, count, n, failed = 0, survived = 0, missed = 0, tried = 0;
	int killed = 0;

	if (argc != 2 || (last = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: toy_failnth LAST\n");
		return 2;
	}
	if (access(FAILNTH, W_OK)) {
		fprintf(stderr, "toy_failnth: %s: %s\n", FAILNTH,
			strerror(errno));
		return 2;
	}
	count = count_points();
	if (count <= 0) {
		fprintf(stderr, "toy_failnth: cannot count the points of unshare(CLONE_NEWNET)\n");
		return 2;
	}
	for (n = count; n > 0 && n > count - last; n--) {
		int rc = run(n, -1);

		tried++;
		if (rc == CHILD_FAILED) {
			failed++;
		} else if (rc == CHILD_SURVIVED) {
			survived++;
		} else if (rc == CHILD_MISSED) {
			missed++;
		} else {
			killed++;
			printf("# fail-nth %ld: child %s %d\n", n,
			       rc < 0 ? "killed by signal" : "exited", rc < 0 ? -rc : rc);
		}
	}
	printf("toy_failnth count=%ld tried=%ld failed=%ld survived=%ld missed=%ld\n",
	       count, tried, failed, survived, missed);
	return killed ? 1 : 0;
}
