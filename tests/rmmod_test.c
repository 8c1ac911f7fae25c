// SPDX-License-Identifier: GPL-2.0
/*
 * rmmod_test.c - af_toy.ko cannot be unloaded under a live socket, can be
 * unloaded once the last socket is closed, and comes back cleanly.
 *
 * Run it last: it unloads and reloads the module.  It needs
 *     TOY_KO=/path/to/af_toy.ko[:/another/candidate.ko...]
 * to load the module again (the first candidate whose build-id is the
 * loaded module's), and the module loaded when it starts; either missing
 * makes the test SKIP (never leaving the module unloaded).
 *
 * Each of the 50 rounds:
 *   open a socket (bound, with a datagram queued on it);
 *   delete_module("af_toy", O_NONBLOCK) fails: EWOULDBLOCK (or EBUSY);
 *   close the socket; delete_module succeeds;
 *   socket(family) now fails with EAFNOSUPPORT;
 *   finit_module() loads it again; socket() works again.
 */
#include <grp.h>
#include <limits.h>
#include <sys/klog.h>
#include <sys/utsname.h>

#include "toy_module.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define ROUNDS 50

static int delete_module(const char *name, unsigned int flags)
{
	return syscall(SYS_delete_module, name, flags);
}

/* A socket bound to loopback with one datagram waiting in its queue. */
static int busy_socket(const struct fam *f)
{
	uint16_t port;
	int s = bound_socket(f, &port);

	if (s < 0)
		return -1;
	if (fam_sendto(f, s, "queued", 6, 0, INADDR_LOOPBACK, port) != 6 ||
	    wait_fd(s, POLLIN, WAIT_MS) != POLLIN) {
		close(s);
		return -1;
	}
	return s;
}

FIXTURE(rmmod) {
	char params[32];
	char ko_path[PATH_MAX];
	const char *ko;
	bool unloaded;
};

/* TOY_KO may list several candidates, separated by ':'; the first that
 * is the loaded module is used. */
FIXTURE_SETUP(rmmod)
{
	char why[512];
	int fam;

	self->ko = NULL;
	self->unloaded = false;
	if (!toy_module_loaded())
		SKIP(return, "af_toy.ko is not loaded");
	self->ko = find_ko(self->ko_path, sizeof(self->ko_path), why,
			   sizeof(why));
	if (!self->ko)
		SKIP(return, "no TOY_KO candidate is the loaded module (%s)",
		     why);
	TH_LOG("reloading %s", self->ko);
	fam = toy_family();
	/* reload with the family it was loaded with */
	if (fam != AF_TOY)
		snprintf(self->params, sizeof(self->params), "family=%d", fam);
	else
		self->params[0] = 0;
}

FIXTURE_TEARDOWN(rmmod)
{
	/* never leave the module unloaded */
	if (self->ko && !toy_module_loaded() && self->unloaded)
		if (load_module(self->ko, self->params))
			TH_LOG("could not reload %s: %s", self->ko,
			       strerror(errno));
}

TEST_F_TIMEOUT(rmmod, unload_only_without_sockets, 600)
{
	struct fam f;
	int round, retried = 0, max_tries = 0;

	/* the 6.1 harness runs the body after a SKIP in setup */
	if (_metadata->skip)
		return;
	fam_init(&f, true);
	TH_LOG("family %d, reload parameters \"%s\"", f.family, self->params);

	for (round = 0; round < ROUNDS; round++) {
		long long deadline;
		int s, s2, tries = 0, ret;
		char buf[8];

		s = busy_socket(&f);
		if (s < 0)
			TH_LOG("round %d: socket: %s", round, strerror(errno));
		ASSERT_LE(0, s);

		/* in use: refused, and the socket still works */
		ret = delete_module("af_toy", O_NONBLOCK);
		if (ret == 0)
			self->unloaded = true;
		ASSERT_EQ(-1, ret);
		if (errno != EWOULDBLOCK && errno != EBUSY)
			TH_LOG("round %d: delete_module: %s", round,
			       strerror(errno));
		ASSERT_TRUE(errno == EWOULDBLOCK || errno == EBUSY);
		ASSERT_TRUE(toy_module_loaded());
		ASSERT_EQ(6, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
		/* close one with its datagram still queued, too */
		s2 = busy_socket(&f);
		ASSERT_LE(0, s2);
		close(s2);
		close(s);

		/*
		 * Unused: unload succeeds.  A socket's last module reference
		 * may be dropped after an RCU grace period (SOCK_RCU_FREE),
		 * so EWOULDBLOCK is retried for a bounded time.
		 */
		deadline = now_ms() + WAIT_MS;
		while ((ret = delete_module("af_toy", O_NONBLOCK)) != 0 &&
		       (errno == EWOULDBLOCK || errno == EBUSY) &&
		       now_ms() < deadline) {
			tries++;
			tiny_pause();
		}
		if (ret)
			TH_LOG("round %d: delete_module after close: %s",
			       round, strerror(errno));
		ASSERT_EQ(0, ret);
		self->unloaded = true;
		if (tries) {
			retried++;
			if (tries > max_tries)
				max_tries = tries;
		}
		ASSERT_FALSE(toy_module_loaded());

		/* the family is gone */
		s2 = socket(f.family, SOCK_DGRAM, 0);
		if (s2 >= 0)
			close(s2);
		ASSERT_EQ(-1, s2);
		ASSERT_EQ(EAFNOSUPPORT, errno);

		/* and comes back */
		ret = load_module(self->ko, self->params);
		if (ret)
			TH_LOG("round %d: finit_module(%s): %s", round,
			       self->ko, strerror(errno));
		ASSERT_EQ(0, ret);
		self->unloaded = false;
		ASSERT_TRUE(toy_module_loaded());
		ASSERT_EQ(f.family, toy_family());
	}
	TH_LOG("%d rounds; %d needed retries after close (at most %d)",
	       ROUNDS, retried, max_tries);

	/* the reloaded module works */
	{
		int s = busy_socket(&f);

		ASSERT_LE(0, s);
		close(s);
	}
}

/* Does the kernel log contain @needle?  (The harness runs as root.) */
static bool kmsg_has(const char *needle)
{
	static char log[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log) - 1);

	if (n < 0)
		return false;
	log[n] = 0;
	return strstr(log, needle) != NULL;
}

/* Unload, waiting out the RCU-freed sockets of earlier suites (bounded). */
static int unload_module(void)
{
	long long deadline = now_ms() + WAIT_MS;
	int ret;

	while ((ret = delete_module("af_toy", O_NONBLOCK)) != 0 &&
	       (errno == EWOULDBLOCK || errno == EBUSY) &&
	       now_ms() < deadline)
		tiny_pause();
	return ret;
}

/*
 * The README's load-time claims: a family slot that is taken, or out of
 * range, fails the load with a kernel log line saying so and leaves no
 * half-loaded module (the line starts with the module's name, as pr_fmt
 * makes it); and the module carries the net-pf alias that lets
 * socket(AF_TOY, ...) autoload it, and the rtnl-link alias that lets
 * "ip link add ... type toy" do the same.
 */
TEST_F_TIMEOUT(rmmod, bad_family_fails_cleanly, 300)
{
	static const struct {
		const char *params, *logged;
		int err;
	} bad[] = {
		{ "family=1", "af_toy: cannot register address family 1", EEXIST },
		{ "family=0", "af_toy: family=0 is out of range", EINVAL },
		{ "family=46", "af_toy: family=46 is out of range", EINVAL },
	};
	char cmd[PATH_MAX + 64], line[256];
	bool pf22 = false, link = false;
	unsigned int i;
	FILE *p;

	if (_metadata->skip)
		return;
	/* socket(22, ...) and "ip link add ... type toy" autoload it */
	snprintf(cmd, sizeof(cmd), "modinfo -F alias '%s'", self->ko);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = 0;
		TH_LOG("alias: %s", line);
		pf22 |= !strcmp(line, "net-pf-22");
		link |= !strcmp(line, "rtnl-link-toy");
	}
	pclose(p);
	ASSERT_TRUE(pf22);
	ASSERT_TRUE(link);

	ASSERT_EQ(0, unload_module());
	self->unloaded = true;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ASSERT_EQ(-1, load_module(self->ko, bad[i].params));
		TH_LOG("%s: %s", bad[i].params, strerror(errno));
		ASSERT_EQ(bad[i].err, errno);
		ASSERT_FALSE(toy_module_loaded());
		ASSERT_TRUE(kmsg_has(bad[i].logged));
	}
	ASSERT_EQ(0, load_module(self->ko, self->params));
	self->unloaded = false;
	ASSERT_TRUE(toy_module_loaded());
}

/*
 * In a namespace of nobody's (unshare -Urn), lo renamed to toy0 while
 * af_toy.ko is not loaded, and kept.  Child: the namespace's side.
 * Writes 0 (ready) or the step that failed to @ready; after a byte on
 * @go, checks that namespace's AF_TOY loopback and writes 0 or the step
 * that failed to @done.
 */
static void taken_child(int ready, int go, int done)
{
	uint16_t port;
	struct fam f;
	int step = 1, s = -1;
	char c;

	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534) || enter_userns_as_root())
		goto out;
	step = 2;
	if (system("ip link set lo name toy0"))
		goto out;
	step = 0;
out:
	if (write(ready, &step, sizeof(step)) != sizeof(step) || step ||
	    read(go, &c, 1) != 1)
		_exit(0);
	step = 3;	/* the module's loopback, under the next free name */
	if (system("ip -o link show toy1 >/dev/null"))
		goto done;
	step = 4;	/* and a datagram to ourselves through it */
	fam_init(&f, true);
	s = bound_socket(&f, &port);
	if (s >= 0 && fam_sendto(&f, s, "x", 1, 0, INADDR_LOOPBACK, port) == 1 &&
	    wait_fd(s, POLLIN, WAIT_MS) == POLLIN && recv(s, &c, 1, 0) == 1)
		step = 0;
done:
	if (write(done, &step, sizeof(step)) != sizeof(step))
		_exit(1);
	_exit(0);
}

/*
 * A7: a link named toy0 in some namespace (anyone can make one: rename
 * lo in a namespace of their own) must not make the module fail to load
 * for everybody.  That namespace's AF_TOY loopback is toy1 instead, says
 * so in the kernel log, and works.
 */
TEST_F_TIMEOUT(rmmod, toy0_taken_in_a_namespace_loads_anyway, 300)
{
	int ready[2], go[2], done[2], step = -1, st;
	pid_t pid;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	ASSERT_EQ(0, unload_module());
	self->unloaded = true;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		taken_child(ready[1], go[0], done[1]);
	close(ready[1]);
	close(go[0]);
	close(done[1]);
	ASSERT_EQ((ssize_t)sizeof(step), read(ready[0], &step, sizeof(step)));
	if (step == 1) {
		waitpid(pid, &st, 0);
		SKIP(return, "no user namespace for nobody");
	}
	ASSERT_EQ(0, step) TH_LOG("renaming lo to toy0 failed at step %d", step);

	ASSERT_EQ(0, load_module(self->ko, self->params))
		TH_LOG("load with a toy0 taken: %s", strerror(errno));
	self->unloaded = false;
	ASSERT_TRUE(kmsg_has("af_toy: toy0 is taken in this namespace: the loopback is toy1"));
	ASSERT_EQ(1, write(go[1], "g", 1));
	step = -1;
	ASSERT_EQ((ssize_t)sizeof(step), read(done[0], &step, sizeof(step)));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, step) TH_LOG("in the namespace, step %d failed", step);
}

TEST_HARNESS_MAIN
