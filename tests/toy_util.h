/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toy_util.h - small helpers shared by the AF_TOY userspace tests.
 *
 * The tests run the same checks against AF_TOY and against UDP on
 * 127.0.0.1, so most helpers take a "struct fam" that says which of the
 * two a socket belongs to.  struct sockaddr_toy and struct sockaddr_in
 * have the same layout (family, be16 port, be32 address, 8 bytes of
 * padding), which keeps the builders below trivial.
 *
 * Nothing here sleeps for a fixed time: waits are poll() with a deadline.
 */
#ifndef TOY_UTIL_H
#define TOY_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "linux/toy.h"

#define TOY_SYSFS_FAMILY	"/sys/module/af_toy/parameters/family"
#define TOY_SYSFS_MODULE	"/sys/module/af_toy"
#define TOY_PROC_SOCKETS	"/proc/net/toy"
#define TOY_PROC_SNMP		"/proc/net/toy_snmp"
#define TOY_PORT_RANGE		"/proc/sys/net/toy/local_port_range"
#define UDP_PORT_RANGE		"/proc/sys/net/ipv4/ip_local_port_range"
#define TOY_DEV			"toy0"

/* The largest UDP payload over IPv4: 65535 - 20 (IP) - 8 (UDP). */
#define UDP_MAX_PAYLOAD		65507

/* Every wait in the tests is bounded by this. */
#define WAIT_MS			10000

/* ---- the family ------------------------------------------------------ */

/* Is af_toy.ko loaded?  Checked before any socket(AF_TOY) call, so that a
 * host run never asks the kernel to autoload a module. */
static inline bool toy_module_loaded(void)
{
	return access(TOY_SYSFS_MODULE, F_OK) == 0;
}

/* The family number in use: the module parameter, or the header's default. */
static inline int toy_family(void)
{
	FILE *f = fopen(TOY_SYSFS_FAMILY, "r");
	int fam;

	if (!f)
		return AF_TOY;
	if (fscanf(f, "%d", &fam) != 1)
		fam = AF_TOY;
	fclose(f);
	return fam;
}

/* Which family a test runs against. */
struct fam {
	bool toy;		/* AF_TOY; otherwise UDP over IPv4 */
	int family;		/* the number passed to socket() */
	int protocol;		/* 0 for AF_TOY, IPPROTO_UDP for AF_INET */
	const char *range_path;	/* sysctl with the ephemeral port range */
	/* Where the test's two ends live (toy_nodes.h): both on this node,
	 * at loopback, unless a remote variant put the peer on another. */
	uint32_t here;		/* the address this node's sockets bind */
	uint32_t peer;		/* the address the peer's sockets bind */
	int here_ns, peer_ns;	/* their namespaces; -1: both here */
};

static inline void fam_init(struct fam *f, bool toy)
{
	f->toy = toy;
	f->family = toy ? toy_family() : AF_INET;
	f->protocol = toy ? 0 : IPPROTO_UDP;
	f->range_path = toy ? TOY_PORT_RANGE : UDP_PORT_RANGE;
	f->here = INADDR_LOOPBACK;
	f->peer = INADDR_LOOPBACK;
	f->here_ns = -1;
	f->peer_ns = -1;
}

/* A family number the socket under test must reject (and not AF_UNSPEC,
 * which UDP's bind/sendto tolerate). */
static inline int fam_other(const struct fam *f)
{
	return f->toy ? AF_INET : toy_family();
}

/* ---- addresses ------------------------------------------------------- */

/*
 * Fill *ss with the family's address @addr:@port (both host order) and
 * return its length (16 for both families).  The padding is zeroed.
 */
static inline socklen_t fam_addr(const struct fam *f,
				 struct sockaddr_storage *ss,
				 uint32_t addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (f->toy) {
		struct sockaddr_toy *st = (struct sockaddr_toy *)ss;

		st->stoy_family = f->family;
		st->stoy_port = htons(port);
		st->stoy_addr = htonl(addr);
		return sizeof(*st);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(addr);
		return sizeof(*sin);
	}
}

#define SA(ss) ((struct sockaddr *)(ss))

/* Both layouts keep family at 0, port at 2, address at 4. */
static inline int sa_family_of(const struct sockaddr_storage *ss)
{
	return ((const struct sockaddr *)ss)->sa_family;
}

static inline uint16_t sa_port(const struct sockaddr_storage *ss)
{
	uint16_t p;

	memcpy(&p, (const char *)ss + 2, sizeof(p));
	return ntohs(p);
}

static inline uint32_t sa_addr(const struct sockaddr_storage *ss)
{
	uint32_t a;

	memcpy(&a, (const char *)ss + 4, sizeof(a));
	return ntohl(a);
}

/* ---- sockets ----------------------------------------------------------- */

static inline int fam_socket(const struct fam *f, int type)
{
	return socket(f->family, type | SOCK_CLOEXEC, 0);
}

static inline int fam_bind(const struct fam *f, int fd, uint32_t addr,
			   uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = fam_addr(f, &ss, addr, port);

	return bind(fd, SA(&ss), len);
}

static inline int fam_connect(const struct fam *f, int fd, uint32_t addr,
			      uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = fam_addr(f, &ss, addr, port);

	return connect(fd, SA(&ss), len);
}

static inline ssize_t fam_sendto(const struct fam *f, int fd, const void *buf,
				 size_t n, int flags, uint32_t addr,
				 uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = fam_addr(f, &ss, addr, port);

	return sendto(fd, buf, n, flags, SA(&ss), len);
}

/* The local port of a socket (host order), or -1. */
static inline int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, SA(&ss), &len))
		return -1;
	return sa_port(&ss);
}

/* A socket bound to LOOPBACK:0; returns the fd, *port gets the port. */
static inline int bound_socket(const struct fam *f, uint16_t *port)
{
	int fd = fam_socket(f, SOCK_DGRAM);
	int p;

	if (fd < 0)
		return -1;
	if (fam_bind(f, fd, INADDR_LOOPBACK, 0) || (p = local_port(fd)) <= 0) {
		close(fd);
		return -1;
	}
	if (port)
		*port = p;
	return fd;
}

/* A port that no socket of this family is bound to right now. */
static inline int free_port(const struct fam *f)
{
	uint16_t port;
	int fd = bound_socket(f, &port);

	if (fd < 0)
		return -1;
	close(fd);
	return port;
}

static inline int sock_error(int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return err;
}

static inline int getsockopt_int(int fd, int level, int name, int *val)
{
	socklen_t len = sizeof(*val);

	return getsockopt(fd, level, name, val, &len);
}

static inline int setsockopt_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

/* Inode number of a socket, as shown in /proc/net/{udp,toy}. */
static inline unsigned long sock_ino(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return 0;
	return st.st_ino;
}

/* ---- time and waiting -------------------------------------------------- */

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Wait until one of @events (or POLLERR/POLLHUP) is set on @fd, for at
 * most @ms.  Returns the revents seen (0 on timeout, -1 on error).
 */
static inline int wait_fd(int fd, short events, int ms)
{
	long long deadline = now_ms() + ms;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		long long left = deadline - now_ms();
		int n;

		if (left < 0)
			left = 0;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return p.revents;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* All poll bits a datagram socket can report, for exact-mask checks. */
#define POLL_ALL (POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | \
		  POLLWRNORM | POLLWRBAND | POLLRDHUP)
#define POLL_W   (POLLOUT | POLLWRNORM | POLLWRBAND)
#define POLL_R   (POLLIN | POLLRDNORM)

/* The current poll mask, without waiting. */
static inline int poll_mask(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLL_ALL };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

/* A short pause inside a bounded retry loop (never a fixed wait for an
 * event: callers loop until their condition holds or a deadline passes). */
static inline void tiny_pause(void)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/*
 * set_rcvtimeo: SO_RCVTIMEO of MS milliseconds, so that a blocking recv()
 * (MSG_WAITALL for several segments, say) cannot hang a test
 */
static inline int set_rcvtimeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* recv() with a bounded wait: poll for POLLIN first. */
static inline ssize_t recv_wait(int fd, void *buf, size_t n, int flags)
{
	int ev = wait_fd(fd, POLLIN, WAIT_MS);

	if (ev <= 0) {
		errno = ev == 0 ? ETIMEDOUT : errno;
		return -1;
	}
	return recv(fd, buf, n, flags | MSG_DONTWAIT);
}

static inline ssize_t recvfrom_wait(int fd, void *buf, size_t n, int flags,
				    struct sockaddr_storage *ss,
				    socklen_t *len)
{
	int ev = wait_fd(fd, POLLIN, WAIT_MS);

	if (ev <= 0) {
		errno = ev == 0 ? ETIMEDOUT : errno;
		return -1;
	}
	return recvfrom(fd, buf, n, flags | MSG_DONTWAIT, SA(ss), len);
}

/*
 * The Internet checksum (RFC 1071) over the bytes as they lie in memory:
 * what a frame's check field holds, for tests that build frames by hand.
 */
static inline uint16_t inet_csum(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	if (len)
		sum += *(const uint8_t *)w;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- files ------------------------------------------------------------- */

static inline int read_file(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r, tot = 0;

	if (fd < 0)
		return -1;
	while (tot < (ssize_t)n - 1 &&
	       (r = read(fd, buf + tot, n - 1 - tot)) > 0)
		tot += r;
	close(fd);
	buf[tot] = 0;
	return tot;
}

static inline int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = write(fd, s, strlen(s));
	close(fd);
	return r == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * tests/failslab_test.sh runs a suite with TOY_MAKE_IT_FAIL set.  The
 * harness forks a child per test; in each child (not in the harness, so
 * that fork() itself does not fail) the kernel's fault injection then
 * fails this task's allocations.  The program and its libraries are
 * locked in memory first, so that no page of them has to be read again
 * from the guest's 9p root while allocations fail.
 */
static int toy_failing;	/* this process set its make-it-fail */

/*
 * Set this task's make-it-fail.  The knob is a file: opening it allocates,
 * and may itself fail while injection is on, hence the retries.
 */
static inline int toy_set_make_it_fail(int on)
{
	int i;

	for (i = 0; i < 100; i++)
		if (!write_file("/proc/self/make-it-fail", on ? "1" : "0"))
			return 0;
	return -1;
}

static void toy_fail_in_child(void)
{
	toy_failing = !toy_set_make_it_fail(1);
}

__attribute__((constructor)) static void toy_make_it_fail(void)
{
	if (!getenv("TOY_MAKE_IT_FAIL"))
		return;
	mlockall(MCL_CURRENT);
	pthread_atfork(NULL, NULL, toy_fail_in_child);
}

/*
 * unshare() with this task's fault injection held off.  Setting up a
 * namespace is the kernel's work, not AF_TOY's, and one of its failures
 * is loud by design: a sysctl table that cannot be registered (say
 * net.ipv4.conf.lo in a new network namespace) dumps the stack in
 * __register_sysctl_table(), which the VM's kernel-log check rightly
 * counts as a report.  So the namespace is made with allocations
 * succeeding, and injection, if it was on, is back on at once.
 */
static inline int toy_unshare(int flags)
{
	int ret, err;

	if (toy_failing)
		toy_set_make_it_fail(0);
	ret = unshare(flags);
	err = errno;
	if (toy_failing)
		toy_set_make_it_fail(1);
	errno = err;
	return ret;
}

static inline int read_range(const char *path, int *lo, int *hi)
{
	char buf[64];

	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	return sscanf(buf, "%d %d", lo, hi) == 2 ? 0 : -1;
}

static inline long long read_ull_file(const char *path)
{
	char buf[64];

	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtoll(buf, NULL, 0);
}

/*
 * SNMP-style counter files: pairs of lines "Prefix: Name1 Name2 ..." and
 * "Prefix: v1 v2 ...".  Returns the value of @name, or -1.
 */
static inline long long snmp_get(const char *path, const char *prefix,
				 const char *name)
{
	static char buf[65536];
	char *names = NULL, *line, *save = NULL;
	long long val = -1;
	size_t plen = strlen(prefix);

	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, prefix, plen) || line[plen] != ' ')
			continue;
		if (!names) {
			names = line;
			continue;
		}
		/* @line holds the values for @names */
		{
			char *ns = NULL, *vs = NULL;
			char *n = strtok_r(names + plen, " ", &ns);
			char *v = strtok_r(line + plen, " ", &vs);

			while (n && v) {
				if (!strcmp(n, name)) {
					val = strtoll(v, NULL, 10);
					break;
				}
				n = strtok_r(NULL, " ", &ns);
				v = strtok_r(NULL, " ", &vs);
			}
		}
		break;
	}
	return val;
}

/* The snmp counters of a family: Toy: in toy_snmp, Udp: in snmp. */
static inline long long fam_snmp(const struct fam *f, const char *name)
{
	return f->toy ? snmp_get(TOY_PROC_SNMP, "Toy:", name)
		      : snmp_get("/proc/net/snmp", "Udp:", name);
}

/* One line of /proc/net/toy, parsed. */
struct toy_proc_ent {
	unsigned int laddr, lport, raddr, rport;
	unsigned int state;
	unsigned int txq, rxq;
	unsigned int uid;
	unsigned long ino;
	unsigned long long drops;
	char type[32];
	char state_name[16];	/* e.g. CLOSE, ESTABLISHED, LISTEN */
};

/*
 * Find the /proc/net/toy line of the socket with inode @ino.
 * Format (after the header line), whitespace separated:
 *   sl: local remote st tx_queue:rx_queue uid inode drops type state
 * e.g. "0: 7F000001:8124 00000000:0000 07 00000000:00000000 0 1234 0 DGRAM CLOSE"
 * Returns 0 when found, -1 when not, -2 when a line does not parse.
 */
static inline int toy_proc_find(unsigned long ino, struct toy_proc_ent *e)
{
	FILE *f = fopen(TOY_PROC_SOCKETS, "r");
	char line[512];
	int ret = -1;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {	/* header */
		fclose(f);
		return -2;
	}
	while (fgets(line, sizeof(line), f)) {
		struct toy_proc_ent t;
		unsigned int sl;
		int n = sscanf(line, " %u: %8X:%4X %8X:%4X %2X %8X:%8X %u %lu %llu %31s %15s",
			       &sl, &t.laddr, &t.lport, &t.raddr, &t.rport,
			       &t.state, &t.txq, &t.rxq, &t.uid, &t.ino,
			       &t.drops, t.type, t.state_name);

		if (n != 13) {
			ret = -2;
			break;
		}
		if (t.ino == ino) {
			*e = t;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* The drops column of a UDP socket in /proc/net/udp, or -1. */
static inline long long udp_proc_drops(unsigned long ino)
{
	FILE *f = fopen("/proc/net/udp", "r");
	char line[512];
	long long ret = -1;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long i;
		unsigned long long drops;

		/* sl local rem st tx:rx tr:when retr uid timeout inode ref ptr drops */
		if (sscanf(line, " %*u: %*x:%*x %*x:%*x %*x %*x:%*x %*x:%*x %*x %*u %*u %lu %*u %*x %llu",
			   &i, &drops) != 2)
			continue;
		if (i == ino) {
			ret = drops;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* ---- capabilities, namespaces, devices, threads ----------------------- */

/* Drop @cap from the effective and permitted sets of the calling thread. */
static inline int drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[cap / 32].effective &= ~(1U << (cap % 32));
	data[cap / 32].permitted &= ~(1U << (cap % 32));
	data[cap / 32].inheritable &= ~(1U << (cap % 32));
	return syscall(SYS_capset, &hdr, data);
}

/* Interface flags (SIOCGIFFLAGS) of @name in the caller's namespace. */
static inline int if_flags(const char *name)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	close(fd);
	return ret ? -1 : (unsigned short)ifr.ifr_flags;
}

static inline int if_up(const char *name)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!ret) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/*
 * Move the caller into a new network namespace.  For UDP tests bring lo
 * up there (127.0.0.1 exists only once lo is up); toy0 must come up by
 * itself, so it is left alone.
 */
static inline int enter_netns(const struct fam *f)
{
	if (toy_unshare(CLONE_NEWNET))
		return -1;
	if (!f->toy && if_up("lo"))
		return -1;
	return 0;
}

/*
 * unshare -Urn: new user and network namespaces, the caller root in them
 * (uid and gid 0 mapped to its own).  After a setresuid() the process is
 * not dumpable, which makes /proc/self root's: it is made dumpable again
 * to write its maps.
 */
static inline int enter_userns_as_root(void)
{
	char map[32];

	snprintf(map, sizeof(map), "0 %d 1", (int)getuid());
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) ||
	    toy_unshare(CLONE_NEWUSER | CLONE_NEWNET) ||
	    write_file("/proc/self/uid_map", map) ||
	    write_file("/proc/self/setgroups", "deny"))
		return -1;
	snprintf(map, sizeof(map), "0 %d 1", (int)getgid());
	return write_file("/proc/self/gid_map", map);
}

/*
 * A page the process may neither read nor write (PROT_NONE): a buffer
 * the kernel must refuse with EFAULT.  MAP_FAILED if there is none.
 */
static inline void *no_access_page(void)
{
	return mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* The state letter of thread @tid of this process (R, S, D, ...). */
static inline char task_state(pid_t tid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return '?';
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return '?';
	return p[2];
}

/*
 * Run @fn(@arg, @out) in a forked child and copy @outlen bytes of result
 * back through a pipe.  Used for anything that changes process-wide state
 * (capabilities, network namespace).  Returns 0 when the child completed.
 */
static inline int run_in_child(void (*fn)(void *arg, void *out), void *arg,
			       void *out, size_t outlen)
{
	int pfd[2], status;
	pid_t pid;
	ssize_t r;

	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(pfd[0]);
		memset(out, 0, outlen);
		fn(arg, out);
		r = write(pfd[1], out, outlen);
		_exit(r == (ssize_t)outlen ? 0 : 1);
	}
	close(pfd[1]);
	r = read(pfd[0], out, outlen);
	close(pfd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (r != (ssize_t)outlen || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

/* Fill a buffer with pseudo-random bytes (deterministic per seed). */
static inline void fill_random(void *buf, size_t n, unsigned int seed)
{
	unsigned char *p = buf;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = x >> 24;
	}
}

#endif /* TOY_UTIL_H */
