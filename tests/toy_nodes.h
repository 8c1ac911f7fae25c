/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toy_nodes.h - two nodes and a cable, for the suites' remote variants.
 *
 * dgram_link_test and stream_link_test are dgram_test.c and stream_test.c
 * built with TOY_REMOTE: the same tests and assertions, with the peer on
 * another node.  Each test's child process (the harness forks one per
 * test) moves into a fresh network namespace, "here", makes a second,
 * "peer", and joins them with a cable made by stock ip:
 *
 *   AF_TOY:      a toy link pair, ta here and tb there; node addresses
 *                10.0.0.1 and 10.0.0.2 (toy0's hardware address)
 *   UDP and TCP: a veth pair, va and vb; 192.168.253.1/24 and .2/24
 *
 * A socket stays in the namespace it was made in, so the fixture makes
 * the sockets a test means as the far end (listeners, receivers) in
 * "peer" and addresses them at fam.peer.  Both namespaces go away with
 * the test's process, links and all.
 *
 * Tests about one node only (bind rules, port ranges, socket options)
 * are written TEST_F_LOCAL: built into the local binary, left out of the
 * remote one.
 */
#ifndef TOY_NODES_H
#define TOY_NODES_H

#include <stdarg.h>

#include "toy_util.h"

#define NODE_TOY_HERE	0x0a000001U	/* 10.0.0.1 */
#define NODE_TOY_PEER	0x0a000002U	/* 10.0.0.2 */
#define NODE_IP_HERE	0xc0a8fd01U	/* 192.168.253.1 */
#define NODE_IP_PEER	0xc0a8fd02U	/* 192.168.253.2 */

/* The toy link's MTU (ip's default for it), and what a datagram gets. */
#define NODE_LINK_MTU		1500
#define NODE_LINK_PAYLOAD	(NODE_LINK_MTU - TOY_HDR_LEN)

#ifdef TOY_REMOTE
#define TOY_REMOTE_BUILD	true
/* A test that is about one node only: compiled, but not registered. */
#define TEST_F_LOCAL(fixture, name)					\
	static void __attribute__((unused)) local_only_##fixture##_##name( \
		struct __test_metadata __attribute__((unused)) *_metadata, \
		FIXTURE_DATA(fixture) __attribute__((unused)) *self,	\
		const FIXTURE_VARIANT(fixture)				\
			__attribute__((unused)) *variant)
#else
#define TOY_REMOTE_BUILD	false
#define TEST_F_LOCAL(fixture, name)	TEST_F(fixture, name)
#endif

/* Run a shell command (ip) in this process's namespace; 0 if it worked. */
static inline int nodes_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(NULL);
	st = system(cmd);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/*
 * One ip process per side (ip -batch: one command a line): on a slow
 * guest every exec counts, and each test makes its nodes afresh.
 */
static inline int nodes_here_side(const struct fam *f, int peer)
{
	if (f->toy)
		return nodes_sh("printf '%%s\\n' 'link add ta type toy' "
				"'link add tb netns /proc/%d/fd/%d link ta type toy' "
				"'link set toy0 address 10.0.0.1' 'link set ta up' | "
				"ip -batch -", (int)getpid(), peer);
	return nodes_sh("printf '%%s\\n' 'link set lo up' "
			"'link add va type veth peer name vb netns /proc/%d/fd/%d' "
			"'addr add 192.168.253.1/24 dev va' 'link set va up' | "
			"ip -batch -", (int)getpid(), peer);
}

static inline int nodes_peer_side(const struct fam *f)
{
	if (f->toy)
		return nodes_sh("printf '%%s\\n' 'link set toy0 address 10.0.0.2' "
				"'link set tb up' | ip -batch -");
	return nodes_sh("printf '%%s\\n' 'link set lo up' "
			"'addr add 192.168.253.2/24 dev vb' 'link set vb up' | "
			"ip -batch -");
}

#ifdef TOY_REMOTE
/*
 * Can this kernel make a veth pair?  Asked once, before the tests fork,
 * in a throwaway namespace: the debug kernel has no veth, and finding
 * that out again in every test's setup costs two namespaces each time.
 */
static bool nodes_have_veth;

static void __attribute__((constructor)) nodes_probe_veth(void)
{
	pid_t pid;
	int st;

	if (geteuid())
		return;
	nodes_sh("modprobe veth 2>/dev/null");
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(toy_unshare(CLONE_NEWNET) ||
		      nodes_sh("ip link add va type veth peer name vb 2>/dev/null"));
	nodes_have_veth = pid > 0 && waitpid(pid, &st, 0) == pid &&
			  WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
#else
static const bool nodes_have_veth = true;
#endif

/*
 * Make the two nodes and the cable (see the top of the file), and leave
 * the caller in "here".  Returns 0; or -1 with @why saying what this
 * machine lacks (the caller skips), errno kept.
 */
static inline int fam_two_nodes(struct fam *f, char *why, size_t n)
{
	int here, peer;

	if (!f->toy && !nodes_have_veth) {
		snprintf(why, n, "no veth pair can be made here (this kernel has no veth, or not root)");
		return -1;
	}
	if (toy_unshare(CLONE_NEWNET) ||
	    (here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0 ||
	    toy_unshare(CLONE_NEWNET) ||
	    (peer = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0 ||
	    setns(here, CLONE_NEWNET)) {
		snprintf(why, n, "cannot make two network namespaces: %s",
			 strerror(errno));
		return -1;
	}
	if (nodes_here_side(f, peer)) {
		snprintf(why, n, f->toy ? "ip cannot make a toy link pair" :
			 "this kernel has no veth (ip link add type veth failed)");
		return -1;
	}
	if (setns(peer, CLONE_NEWNET) || nodes_peer_side(f) ||
	    setns(here, CLONE_NEWNET)) {
		snprintf(why, n, "cannot set up the peer node");
		return -1;
	}
	f->here_ns = here;
	f->peer_ns = peer;
	f->here = f->toy ? NODE_TOY_HERE : NODE_IP_HERE;
	f->peer = f->toy ? NODE_TOY_PEER : NODE_IP_PEER;
	return 0;
}

/* A socket on the peer's node (on this one when there is no other). */
static inline int fam_peer_socket(const struct fam *f, int type)
{
	int fd, err;

	if (f->peer_ns < 0)
		return fam_socket(f, type);
	if (setns(f->peer_ns, CLONE_NEWNET))
		return -1;
	fd = fam_socket(f, type);
	err = errno;
	if (setns(f->here_ns, CLONE_NEWNET))
		abort();	/* the rest of the test would run on the wrong node */
	errno = err;
	return fd;
}

/*
 * One datagram from here to the peer, waited for: both neighbour caches
 * then know the other node (here from the is-at, the peer from the
 * who-has).  The toy ARP holds at most 3 frames while it asks (ARP's
 * unres_qlen of old; ARP's queue today holds about 100), and sends them
 * once answered while new ones may already go straight out.  Tests about
 * sockets that send several datagrams back to back would, on a slow
 * guest, see the oldest dropped or overtaken.  The cache itself is
 * tested elsewhere (KUnit's toy_neigh_test, link_test.sh).
 * Returns 0, or -1 with errno set.
 */
static inline int fam_nodes_meet(const struct fam *f)
{
	int r = fam_peer_socket(f, SOCK_DGRAM), s = fam_socket(f, SOCK_DGRAM);
	int port, ret = -1;
	char c = 0;

	if (r < 0 || s < 0 || fam_bind(f, r, f->peer, 0))
		goto out;
	port = local_port(r);
	if (port <= 0 || fam_sendto(f, s, &c, 1, 0, f->peer, port) != 1)
		goto out;
	if (!(wait_fd(r, POLLIN, WAIT_MS) & POLLIN)) {
		errno = ETIMEDOUT;
		goto out;
	}
	ret = recv(r, &c, 1, MSG_DONTWAIT) == 1 ? 0 : -1;
out:
	if (r >= 0)
		close(r);
	if (s >= 0)
		close(s);
	return ret;
}

#endif /* TOY_NODES_H */
