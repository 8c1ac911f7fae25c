// SPDX-License-Identifier: GPL-2.0
/*
 * toybench - the same workloads over AF_TOY and over the kernel's own
 * families, so that AF_TOY can be judged by ratios.
 *
 *   toybench info
 *   toybench dgram     FAM SIZE DURATION   FAM: toy udp unix; SIZE: bytes or "max"
 *   toybench stream    FAM WSIZE DURATION  FAM: toy tcp unix
 *   toybench pp-dgram  FAM DURATION        ping-pong round trips, 64-byte messages
 *   toybench pp-stream FAM DURATION
 *   toybench connrate  FAM DURATION        connect + accept + close
 *   toybench scale     FAM N MSGS          FAM: toy udp; N bound sockets
 *   toybench flood     KIND FAM RCVBUF     KIND: dgram or stream
 *
 * Each run prints CSV lines "workload,param,family,metric,value"; the
 * guest script (scripts/guest/bench-guest.sh) prefixes the round number
 * and runs the families of one workload back to back in every round, so
 * machine drift cancels in the ratios.
 *
 * Two processes talk over loopback: the sender (or client) is pinned to
 * CPU 0 and the receiver (or server) to CPU 1.  Timed runs last DURATION
 * seconds of CLOCK_MONOTONIC; the end is an ITIMER_REAL signal, so the
 * loops do not read the clock per message, and a sender blocked on a full
 * queue is interrupted on time.
 *
 * Across a link (dgram, stream, pp-dgram, pp-stream; toy, udp, tcp), the
 * two sides in two network namespaces, from the environment:
 *   TOYBENCH_SERVER_NS=PATH  the receiver's (server's) sockets are made in
 *                            this network namespace (/run/netns/NAME) ...
 *   TOYBENCH_CLIENT_NS=PATH  ... and the sender's (client's) in this one;
 *                            the process setns()s into each before it makes
 *                            that side's sockets (a socket keeps its
 *                            namespace); either unset: the caller's own
 *   TOYBENCH_SERVER_ADDR=A   the server's address (dotted quad; for AF_TOY
 *                            the node address of its toy0), which the client
 *                            sends or connects to; the server binds the
 *                            wildcard address.  Setting it selects this mode
 *   TOYBENCH_CLIENT_ADDR=A   the client's address, which the pp-dgram server
 *                            replies to (connects to); the client binds the
 *                            wildcard address
 * The rows are named as on loopback; bench-guest.sh renames them (link_*).
 *
 * This program only measures: it never changes a default that one family
 * has and another lacks, except where noted (TCP_NODELAY and TOY_NODELAY
 * for the stream ping-pong, as every latency benchmark sets it; forced
 * buffer sizes for the flood, the same for every family).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/toy.h>

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

/* ---- small helpers ----------------------------------------------------- */

enum kind { K_TOY, K_INET, K_UNIX };

static const char *g_famname;	/* as given on the command line */
static int g_token;		/* names AF_UNIX sockets and picks ports */

static void die(const char *what)
{
	fprintf(stderr, "toybench: %s %s: %s\n", g_famname ? g_famname : "",
		what, strerror(errno));
	exit(1);
}

static int toy_family(void)
{
	static int family = -1;
	FILE *f;

	if (family >= 0)
		return family;
	family = AF_TOY;
	f = fopen("/sys/module/af_toy/parameters/family", "r");
	if (f) {
		if (fscanf(f, "%d", &family) != 1)
			family = AF_TOY;
		fclose(f);
	}
	return family;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void out(const char *workload, const char *param, const char *metric,
		double value)
{
	printf("%s,%s,%s,%s,%.6g\n", workload, param, g_famname, metric, value);
}

static int ncpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set);
}

/*
 * Pin the caller: @cpu 0 is the sender's (client's) CPU, 1 the
 * receiver's (server's).  TOYBENCH_CPUS="A B" maps them to other CPUs
 * (e.g. "0 0" for both on one); "none" leaves scheduling alone.
 */
static void pin(int cpu)
{
	const char *map = getenv("TOYBENCH_CPUS");
	cpu_set_t set;
	int a = 0, b = 1;

	if (map && !strcmp(map, "none"))
		return;
	if (map && sscanf(map, "%d %d", &a, &b) != 2) {
		fprintf(stderr, "toybench: TOYBENCH_CPUS wants \"A B\" or none\n");
		exit(2);
	}
	cpu = cpu ? b : a;
	if (cpu >= ncpus())
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static volatile sig_atomic_t g_stop;

static void on_alarm(int sig)
{
	(void)sig;
	g_stop = 1;
}

/* Set g_stop after @secs; no SA_RESTART, so a blocked call returns EINTR. */
static void arm_timer(double secs)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { 0 };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	it.it_value.tv_sec = (time_t)secs;
	it.it_value.tv_usec = (suseconds_t)((secs - (time_t)secs) * 1e6);
	g_stop = 0;
	if (setitimer(ITIMER_REAL, &it, NULL))
		die("setitimer");
}

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

static void mkaddr(enum kind k, unsigned int port, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	switch (k) {
	case K_TOY: {
		struct sockaddr_toy *t = (struct sockaddr_toy *)&a->ss;

		t->stoy_family = toy_family();
		t->stoy_port = htons(port);
		t->stoy_addr = htonl(TOY_ADDR_LOOPBACK);
		a->len = sizeof(*t);
		break;
	}
	case K_INET: {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->len = sizeof(*in);
		break;
	}
	case K_UNIX: {
		struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;
		int n;

		/* Abstract name: nothing to unlink, nothing on the (ro) fs. */
		un->sun_family = AF_UNIX;
		n = snprintf(un->sun_path + 1, sizeof(un->sun_path) - 1,
			     "toybench-%d-%u", g_token, port);
		a->len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
		break;
	}
	}
}

/* ---- across a link: two network namespaces ------------------------------ */

static struct {
	int on;			/* TOYBENCH_SERVER_ADDR is set */
	const char *srv_ns, *cli_ns;	/* namespace files, or NULL */
	uint32_t srv_addr, cli_addr;	/* network byte order */
	int have_cli_addr;
} g_link;

static uint32_t parse_addr(const char *var, const char *v)
{
	struct in_addr in;

	if (inet_pton(AF_INET, v, &in) != 1) {
		fprintf(stderr, "toybench: %s=%s is not a dotted quad\n", var, v);
		exit(2);
	}
	return in.s_addr;
}

static void link_init(void)
{
	const char *v = getenv("TOYBENCH_SERVER_ADDR");

	g_link.srv_ns = getenv("TOYBENCH_SERVER_NS");
	g_link.cli_ns = getenv("TOYBENCH_CLIENT_NS");
	if (!v || !*v)
		return;
	g_link.on = 1;
	g_link.srv_addr = parse_addr("TOYBENCH_SERVER_ADDR", v);
	v = getenv("TOYBENCH_CLIENT_ADDR");
	if (v && *v) {
		g_link.cli_addr = parse_addr("TOYBENCH_CLIENT_ADDR", v);
		g_link.have_cli_addr = 1;
	}
}

/* The sockets made next belong to @server's side: enter its namespace. */
static void enter_side(int server)
{
	const char *path = server ? g_link.srv_ns : g_link.cli_ns;
	int fd;

	if (!g_link.on || !path || !*path)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die(path);
	close(fd);
}

static void set_addr(struct addr *a, uint32_t be_addr)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_addr.s_addr = be_addr;
	else if (a->ss.ss_family != AF_UNIX)
		((struct sockaddr_toy *)&a->ss)->stoy_addr = be_addr;
}

/* What a side binds: loopback, or across a link the wildcard address. */
static void mkaddr_bind(enum kind k, unsigned int port, struct addr *a)
{
	mkaddr(k, port, a);
	if (g_link.on)
		set_addr(a, htonl(INADDR_ANY));
}

/* Where a side sends to @server's side (or the client's): its address. */
static void mkaddr_to(enum kind k, unsigned int port, int server, struct addr *a)
{
	mkaddr(k, port, a);
	if (!g_link.on)
		return;
	if (!server && !g_link.have_cli_addr) {
		fprintf(stderr, "toybench: this workload needs TOYBENCH_CLIENT_ADDR\n");
		exit(2);
	}
	set_addr(a, server ? g_link.srv_addr : g_link.cli_addr);
}

static int domain_of(enum kind k)
{
	return k == K_TOY ? toy_family() : k == K_INET ? AF_INET : AF_UNIX;
}

static int xsocket(enum kind k, int type)
{
	int s = socket(domain_of(k), type, 0);

	if (s < 0)
		die("socket");
	return s;
}

static void xbind(int s, const struct addr *a)
{
	if (bind(s, (const struct sockaddr *)&a->ss, a->len))
		die("bind");
}

static void xconnect(int s, const struct addr *a)
{
	if (connect(s, (const struct sockaddr *)&a->ss, a->len))
		die("connect");
}

static void setint(int s, int level, int opt, int val, const char *what)
{
	if (setsockopt(s, level, opt, &val, sizeof(val)))
		die(what);
}

/* Small writes go at once (Nagle off): TCP_NODELAY, or AF_TOY's own. */
static void nodelay(enum kind k, int s)
{
	if (k == K_INET)
		setint(s, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	else if (k == K_TOY)
		setint(s, SOL_TOY, TOY_NODELAY, 1, "TOY_NODELAY");
}

static void set_rcvtimeo(int s, double secs)
{
	struct timeval tv = { .tv_sec = (time_t)secs,
			      .tv_usec = (suseconds_t)((secs - (time_t)secs) * 1e6) };

	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		die("SO_RCVTIMEO");
}

/* A port for this run: pid-derived, below the ephemeral range. */
static unsigned int base_port(void)
{
	return 10000 + (unsigned int)(g_token % 10000) * 2;
}

/* Results a child hands back to the parent. */
struct shared {
	volatile int stop;
	double t_end;
	uint64_t count;
	uint64_t bytes;
	int err;
	double cpu;		/* the child's CPU seconds while it ran */
	long sleeps;		/* ... and its voluntary context switches */
};

/* CPU seconds and voluntary context switches of this process so far. */
static void usage_now(double *cpu, long *sleeps)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	*sleeps = ru.ru_nvcsw;
}

/*
 * How busy each side was: a side near 100% CPU is what bounds the run; a
 * side that sleeps often is waiting for the other (or for buffer room).
 */
static void out_busy(const char *wl, const char *param, double secs,
		     double tx_cpu, long tx_sleeps, const struct shared *sh)
{
	out(wl, param, "tx_cpu_pct", 100 * tx_cpu / secs);
	out(wl, param, "tx_sleeps_per_s", tx_sleeps / secs);
	out(wl, param, "rx_cpu_pct", 100 * sh->cpu / secs);
	out(wl, param, "rx_sleeps_per_s", sh->sleeps / secs);
}

static struct shared *shared_new(void)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (sh == MAP_FAILED)
		die("mmap");
	memset(sh, 0, sizeof(*sh));
	return sh;
}

static void signal_ready(int fd)
{
	if (write(fd, "r", 1) != 1)
		die("write ready");
}

static void wait_ready(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1) {
		errno = EPIPE;
		die("child failed before it was ready");
	}
}

/*
 * fork(), and the child dies with its parent: a parent that gives up
 * (die()) must not leave a server blocked in accept() or recv() forever,
 * holding the caller's stdout open.
 */
static pid_t xfork(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0 && (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent))
		_exit(1);
	return pid;
}

static int wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- datagram throughput ------------------------------------------------ */

/*
 * One sender on CPU 0 sends SIZE-byte datagrams on a connected socket as
 * fast as send() returns; one receiver on CPU 1 reads them.  Reported:
 * datagrams delivered per second (what the receiver got), sent per
 * second, and the share dropped on the way (sent - delivered).
 */
static int run_dgram(enum kind k, const char *sizearg, double dur)
{
	size_t size, maxsz = k == K_INET ? 65507 : TOY_MAX_PAYLOAD;
	uint64_t sent = 0, senderr = 0;
	struct shared *sh = shared_new();
	struct addr ra, ba;
	int rx, tx, p[2];
	double t0, t1, c0, c1;
	long s0, s1;
	char *buf;
	pid_t pid;

	size = strcmp(sizearg, "max") ? strtoul(sizearg, NULL, 0) : maxsz;
	mkaddr_bind(k, base_port(), &ba);
	mkaddr_to(k, base_port(), 1, &ra);
	enter_side(1);
	rx = xsocket(k, SOCK_DGRAM);
	xbind(rx, &ba);
	enter_side(0);
	tx = xsocket(k, SOCK_DGRAM);
	xconnect(tx, &ra);
	buf = calloc(1, 65536);
	if (!buf || pipe(p))
		die("setup");

	pid = xfork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		uint64_t n_ok = 0, bytes = 0;
		ssize_t n;

		double c0, c1;
		long s0, s1;

		close(tx);
		pin(1);
		set_rcvtimeo(rx, 0.2);
		signal_ready(p[1]);
		usage_now(&c0, &s0);
		for (;;) {
			n = recv(rx, buf, 65536, 0);
			if (n >= 0) {
				n_ok++;
				bytes += n;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (sh->stop)
					break;
			} else if (errno != EINTR) {
				sh->err = errno;
				break;
			}
		}
		usage_now(&c1, &s1);
		sh->cpu = c1 - c0;
		sh->sleeps = s1 - s0;
		sh->count = n_ok;
		sh->bytes = bytes;
		_exit(0);
	}
	close(rx);
	pin(0);
	wait_ready(p[0]);

	/* Does this family take a datagram this large at all? */
	if (send(tx, buf, size, MSG_DONTWAIT) < 0 && errno == EMSGSIZE) {
		sh->stop = 1;
		wait_child(pid);
		out("dgram", sizearg, "size", size);
		out("dgram", sizearg, "emsgsize", 1);
		return 0;
	}
	sent = 1;

	usage_now(&c0, &s0);
	arm_timer(dur);
	t0 = now();
	while (!g_stop) {
		ssize_t n = send(tx, buf, size, 0);

		if (n == (ssize_t)size)
			sent++;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && (errno == ENOBUFS || errno == EAGAIN ||
				   errno == ECONNREFUSED))
			senderr++;	/* counted, never hidden */
		else
			die("send");
	}
	t1 = now();
	usage_now(&c1, &s1);
	sh->stop = 1;
	if (wait_child(pid) || sh->err) {
		errno = sh->err;
		die("receiver");
	}
	out("dgram", sizearg, "size", size);
	out("dgram", sizearg, "msgs_per_s", sh->count / (t1 - t0));
	out("dgram", sizearg, "sent_per_s", sent / (t1 - t0));
	out("dgram", sizearg, "MB_per_s", sh->bytes / (t1 - t0) / 1e6);
	out("dgram", sizearg, "drop_pct",
	    sent ? 100.0 * (double)(sent - (sh->count < sent ? sh->count : sent)) / sent : 0);
	out("dgram", sizearg, "send_errors", senderr);
	out_busy("dgram", sizearg, t1 - t0, c1 - c0, s1 - s0, sh);
	return 0;
}

/* ---- stream throughput -------------------------------------------------- */

/*
 * The client (CPU 0) writes WSIZE-byte chunks for DURATION seconds, then
 * shuts down its side; the server (CPU 1) reads with a 64 KiB buffer until
 * end of stream.  MB/s = bytes the server got / (its EOF time - start).
 */
static int run_stream(enum kind k, size_t wsize, double dur)
{
	struct shared *sh = shared_new();
	struct addr la, ba;
	int l, s, p[2];
	char *buf;
	double t0, c0, c1;
	long s0, s1;
	pid_t pid;
	char param[32];

	snprintf(param, sizeof(param), "%zu", wsize);
	mkaddr_bind(k, base_port(), &ba);
	mkaddr_to(k, base_port(), 1, &la);
	enter_side(1);
	l = xsocket(k, SOCK_STREAM);
	setint(l, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	xbind(l, &ba);
	if (listen(l, 16))
		die("listen");
	buf = calloc(1, 65536 > wsize ? 65536 : wsize);
	if (!buf || pipe(p))
		die("setup");

	pid = xfork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		uint64_t bytes = 0;
		double c0, c1;
		long s0, s1;
		ssize_t n;
		int c;

		pin(1);
		c = accept(l, NULL, NULL);
		if (c < 0)
			die("accept");
		close(l);
		signal_ready(p[1]);
		usage_now(&c0, &s0);
		for (;;) {
			n = read(c, buf, 65536);
			if (n > 0)
				bytes += n;
			else if (n == 0)
				break;
			else if (errno != EINTR)
				die("read");
		}
		sh->t_end = now();
		usage_now(&c1, &s1);
		sh->cpu = c1 - c0;
		sh->sleeps = s1 - s0;
		sh->bytes = bytes;
		_exit(0);
	}
	pin(0);
	enter_side(0);
	s = xsocket(k, SOCK_STREAM);
	xconnect(s, &la);
	wait_ready(p[0]);

	usage_now(&c0, &s0);
	arm_timer(dur);
	t0 = now();
	while (!g_stop) {
		ssize_t n = write(s, buf, wsize);

		if (n < 0 && errno != EINTR)
			die("write");
	}
	if (shutdown(s, SHUT_WR))
		die("shutdown");
	usage_now(&c1, &s1);
	if (wait_child(pid))
		die("server");
	out("stream", param, "MB_per_s", sh->bytes / (sh->t_end - t0) / 1e6);
	out_busy("stream", param, sh->t_end - t0, c1 - c0, s1 - s0, sh);
	close(s);
	close(l);
	return 0;
}

/* ---- ping-pong latency -------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#define PP_SIZE 64
#define PP_WARMUP 200
#define PP_MAX (4u << 20)

/* Read exactly @len bytes from a stream (or one datagram). */
static ssize_t recv_full(int s, char *buf, size_t len, int stream)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = recv(s, buf + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n;
		got += n;
		if (!stream)
			break;
	}
	return got;
}

static void report_rtts(const char *workload, uint64_t *rtt, size_t n)
{
	if (!n) {
		errno = EIO;
		die("no round trips");
	}
	qsort(rtt, n, sizeof(*rtt), cmp_u64);
	out(workload, "64", "p50_us", rtt[n / 2] / 1e3);
	out(workload, "64", "p99_us", rtt[(size_t)(n * 0.99)] / 1e3);
	out(workload, "64", "round_trips", n);
}

/*
 * The client (CPU 0) sends 64 bytes and waits for them to come back from
 * the server (CPU 1), for DURATION seconds; every round trip is timed.
 */
static int run_pingpong(enum kind k, int stream, double dur)
{
	const char *wl = stream ? "pp_stream" : "pp_dgram";
	uint64_t *rtt = malloc(PP_MAX * sizeof(*rtt));
	char buf[PP_SIZE] = "ping", in[PP_SIZE];
	struct addr sa, ca, sb, cb;
	int srv = -1, cli = -1, l = -1, p[2];
	size_t n = 0, i;
	pid_t pid;

	if (!rtt || pipe(p))
		die("setup");
	mkaddr_to(k, base_port(), 1, &sa);
	mkaddr_bind(k, base_port(), &sb);
	mkaddr_bind(k, base_port() + 1, &cb);
	if (stream) {
		enter_side(1);
		l = xsocket(k, SOCK_STREAM);
		setint(l, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
		xbind(l, &sb);
		if (listen(l, 4))
			die("listen");
	} else {
		mkaddr_to(k, base_port() + 1, 0, &ca);
		enter_side(1);
		srv = xsocket(k, SOCK_DGRAM);
		enter_side(0);
		cli = xsocket(k, SOCK_DGRAM);
		xbind(srv, &sb);
		xbind(cli, &cb);	/* AF_UNIX needs a name to reply to */
		xconnect(srv, &ca);
		xconnect(cli, &sa);
	}

	pid = xfork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		ssize_t m;

		pin(1);
		if (stream) {
			srv = accept(l, NULL, NULL);
			if (srv < 0)
				die("accept");
			nodelay(k, srv);
		} else {
			close(cli);
		}
		signal_ready(p[1]);
		for (;;) {
			m = recv_full(srv, in, PP_SIZE, stream);
			if (m <= 0 || (!stream && m == 1))
				break;	/* EOF, or the 1-byte "quit" datagram */
			if (send(srv, in, m, 0) != m)
				die("server send");
		}
		_exit(m < 0);
	}
	pin(0);
	if (stream) {
		enter_side(0);
		cli = xsocket(k, SOCK_STREAM);
		xconnect(cli, &sa);
		nodelay(k, cli);
	} else {
		close(srv);
	}
	wait_ready(p[0]);
	set_rcvtimeo(cli, 5);

	for (i = 0; i < PP_WARMUP; i++)
		if (send(cli, buf, PP_SIZE, 0) != PP_SIZE ||
		    recv_full(cli, in, PP_SIZE, stream) != PP_SIZE)
			die("warm-up round trip");
	arm_timer(dur);
	while (!g_stop && n < PP_MAX) {
		uint64_t t1 = now_ns(), t2;

		if (send(cli, buf, PP_SIZE, 0) != PP_SIZE) {
			if (errno == EINTR)
				continue;
			die("send");
		}
		if (recv_full(cli, in, PP_SIZE, stream) != PP_SIZE)
			die("recv (lost round trip?)");
		t2 = now_ns();
		rtt[n++] = t2 - t1;
	}
	if (stream)
		shutdown(cli, SHUT_WR);
	else
		send(cli, "Q", 1, 0);
	if (wait_child(pid))
		die("server");
	report_rtts(wl, rtt, n);
	return 0;
}

/* ---- connection rate ---------------------------------------------------- */

/*
 * The server (CPU 1) accepts and closes at once; the client (CPU 0)
 * creates a socket, connects, waits for the server's close (read returns
 * 0) and closes.  One iteration is a whole connection's life: handshake,
 * accept, both closes.  The server closes first, so TIME_WAIT is on its
 * side, as it is for a typical request/response server.
 */
static int run_connrate(enum kind k, double dur)
{
	uint64_t conns = 0, errs = 0;
	struct addr la;
	int l, p[2];
	double t0, t1;
	pid_t pid;
	char c;

	mkaddr(k, base_port(), &la);
	l = xsocket(k, SOCK_STREAM);
	setint(l, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	xbind(l, &la);
	if (listen(l, 128))
		die("listen");
	if (pipe(p))
		die("pipe");
	pid = xfork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		pin(1);
		signal_ready(p[1]);
		for (;;) {
			int a = accept(l, NULL, NULL);

			if (a < 0) {
				if (errno == EINTR || errno == ECONNABORTED)
					continue;
				die("accept");
			}
			close(a);
		}
	}
	pin(0);
	wait_ready(p[0]);
	arm_timer(dur);
	t0 = now();
	while (!g_stop) {
		int s = xsocket(k, SOCK_STREAM);

		if (connect(s, (struct sockaddr *)&la.ss, la.len)) {
			if (errno != EINTR)
				errs++;
			close(s);
			if (errs > 1000)
				die("connect keeps failing");
			continue;
		}
		while (read(s, &c, 1) < 0 && errno == EINTR)
			;
		close(s);
		conns++;
	}
	t1 = now();
	kill(pid, SIGKILL);
	wait_child(pid);
	close(l);
	out("connrate", "-", "conns_per_s", conns / (t1 - t0));
	out("connrate", "-", "connect_errors", errs);
	return 0;
}

/* ---- scaling: bind and demux with many bound sockets ------------------- */

#define SCALE_PER_NS 50000	/* sockets bound per network namespace */
#define SCALE_PORT0 1100	/* ports SCALE_PORT0 .. +SCALE_PER_NS-1 */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	strcpy(ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr))
		die("SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		die("SIOCSIFFLAGS lo");
	close(s);
}

#define SCALE_HOT 1000	/* sockets in the hot set, and per timed bind pass */
#define SCALE_PASSES 5	/* timed passes; the fastest one counts */

/*
 * Send 64-byte datagrams to the sockets @tgt names, in SCALE_PASSES
 * batches; return ns per delivered datagram of the fastest batch.  After
 * each batch the targets' queues are emptied (untimed), counting what
 * arrived.
 */
static double scale_deliver(enum kind k, const long *tgt, long msgs,
			    const int *fd, const unsigned int *port,
			    const int *tx, long *delivered_pct)
{
	long per = msgs / SCALE_PASSES, b, i, delivered, total = 0;
	double best = 0;
	char buf[64] = { 0 };
	uint64_t t0, t1;
	struct addr a;

	for (b = 0; b < SCALE_PASSES; b++) {
		const long *bt = tgt + b * per;

		t0 = now_ns();
		for (i = 0; i < per; i++) {
			long t = bt[i];

			mkaddr(k, port[t], &a);
			if (sendto(tx[t / SCALE_PER_NS], buf, sizeof(buf), 0,
				   (struct sockaddr *)&a.ss, a.len) != sizeof(buf))
				die("sendto");
		}
		t1 = now_ns();
		delivered = 0;
		for (i = 0; i < per; i++)
			while (recv(fd[bt[i]], buf, sizeof(buf), MSG_DONTWAIT) > 0)
				delivered++;
		total += delivered;
		if (delivered && (!best || (double)(t1 - t0) / delivered < best))
			best = (double)(t1 - t0) / delivered;
	}
	*delivered_pct = 100 * total / (per * SCALE_PASSES);
	return best;
}

/*
 * N datagram sockets, each bound to its own port, then 64-byte datagrams
 * to them.  Reported (ns per operation):
 *   bind_ns        binding SCALE_HOT sockets, created just before, into
 *                  a table already holding N - SCALE_HOT: the cost of a
 *                  bind "with N bound sockets".  SCALE_PASSES passes (the
 *                  sockets of all but the last are closed again); the
 *                  fastest counts, since interference only adds time
 *   bind_all_ns    one pass over all N binds, in random port order, of
 *                  sockets created beforehand: includes touching each
 *                  (by then cold) socket
 *   deliver_hot_ns datagrams to random sockets among the SCALE_HOT bound
 *                  last (random ports, spread over the table): the
 *                  working set stays fixed and only the table grows, so
 *                  this isolates the demultiplexing structure
 *   deliver_ns     datagrams to random sockets among all N: adds the
 *                  cache and TLB misses of a working set that grows with
 *                  N (TCG emulates the TLB in software, so this part is
 *                  larger than on hardware)
 * Both delivery costs are the fastest of SCALE_PASSES batches of MSGS /
 * SCALE_PASSES datagrams.  Delivery on lo happens within the sender's
 * sendto(), in the softirq it raises, so the send loop's time covers the
 * whole path; the cost is per datagram found in a receive queue after.
 *
 * A namespace has 64k ports per socket type, so the sockets go into
 * fresh network namespaces of SCALE_PER_NS each (two for 100 000).  That
 * keeps one socket per port, so the lookup is the plain demux path; with
 * SO_REUSEADDR sharing instead, every lookup would walk the list of
 * sockets sharing the port, which measures something else.  UDP gets the
 * same namespaces (and brings their lo up).
 */
static int run_scale(enum kind k, long n, long msgs)
{
	long nns = (n + SCALE_PER_NS - 1) / SCALE_PER_NS, hot = n < SCALE_HOT ? n : SCALE_HOT;
	int *fd = malloc(n * sizeof(int)), *tx = calloc(nns, sizeof(int));
	unsigned int *port = malloc(n * sizeof(unsigned int));
	long *tgt = malloc(msgs * sizeof(long)), i, j, pass, pct, pct_hot;
	struct rlimit rl = { .rlim_cur = n + 1024, .rlim_max = n + 1024 };
	uint64_t bind_all = 0, bind_hot = 0, t0, t1;
	double dall, dhot;
	struct addr a;
	char param[32];

	if (!fd || !tx || !port || !tgt)
		die("malloc");
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE) (needs root)");
	snprintf(param, sizeof(param), "%ld", n);

	for (j = 0; j < nns; j++) {
		long lo = j * SCALE_PER_NS, hi = lo + SCALE_PER_NS, mid;

		if (hi > n)
			hi = n;
		/* the hot set: the last sockets of the last namespace */
		mid = j == nns - 1 ? n - hot : hi;
		if (unshare(CLONE_NEWNET))
			die("unshare(CLONE_NEWNET)");
		if (k == K_INET)
			lo_up();
		for (i = lo; i < hi; i++)
			port[i] = SCALE_PORT0 + (i - lo);
		/* random port order (Fisher-Yates over this namespace's group) */
		for (i = hi - 1; i > lo; i--) {
			long r = lo + (long)(rng() % (uint64_t)(i - lo + 1));
			unsigned int t = port[i];

			port[i] = port[r];
			port[r] = t;
		}
		for (i = lo; i < mid; i++)
			fd[i] = xsocket(k, SOCK_DGRAM);
		t0 = now_ns();
		for (i = lo; i < mid; i++) {
			mkaddr(k, port[i], &a);
			xbind(fd[i], &a);
		}
		t1 = now_ns();
		bind_all += t1 - t0;
		for (pass = 0; mid < hi && pass < SCALE_PASSES; pass++) {
			for (i = mid; i < hi; i++)
				fd[i] = xsocket(k, SOCK_DGRAM);
			t0 = now_ns();
			for (i = mid; i < hi; i++) {
				mkaddr(k, port[i], &a);
				xbind(fd[i], &a);
			}
			t1 = now_ns();
			if (!pass)
				bind_all += t1 - t0;
			if (!bind_hot || t1 - t0 < bind_hot)
				bind_hot = t1 - t0;
			if (pass < SCALE_PASSES - 1)
				for (i = mid; i < hi; i++)
					close(fd[i]);
		}
		tx[j] = xsocket(k, SOCK_DGRAM);
		mkaddr(k, 0, &a);	/* ephemeral port: no autobind in the loop */
		xbind(tx[j], &a);
	}

	for (i = 0; i < msgs; i++)
		tgt[i] = (long)(rng() % (uint64_t)n);
	dall = scale_deliver(k, tgt, msgs, fd, port, tx, &pct);
	for (i = 0; i < msgs; i++)
		tgt[i] = n - hot + (long)(rng() % (uint64_t)hot);
	dhot = scale_deliver(k, tgt, msgs, fd, port, tx, &pct_hot);

	out("scale", param, "bind_ns", (double)bind_hot / hot);
	out("scale", param, "bind_all_ns", (double)bind_all / n);
	out("scale", param, "deliver_hot_ns", dhot);
	out("scale", param, "deliver_ns", dall);
	out("scale", param, "delivered_pct", pct < pct_hot ? pct : pct_hot);
	out("scale", param, "namespaces", nns);
	return 0;
}

/* ---- memory under a flood ----------------------------------------------- */

static long meminfo_kb(const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = atol(line + kl + 1);
			break;
		}
	fclose(f);
	return v;
}

static void settle(void)
{
	int fd;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "3", 1) != 1)
			perror("drop_caches");
		close(fd);
	}
	usleep(300000);
}

static void sk_meminfo(int s, uint32_t mi[SK_MEMINFO_VARS])
{
	socklen_t len = SK_MEMINFO_VARS * sizeof(uint32_t);

	memset(mi, 0, len);
	if (getsockopt(s, SOL_SOCKET, SO_MEMINFO, mi, &len))
		die("SO_MEMINFO");
}

static int getint(int s, int opt)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(s, SOL_SOCKET, opt, &v, &len))
		die("getsockopt");
	return v;
}

static void force_buf(int s, int opt_force, int opt, int val)
{
	if (setsockopt(s, SOL_SOCKET, opt_force, &val, sizeof(val)) &&
	    setsockopt(s, SOL_SOCKET, opt, &val, sizeof(val)))
		die("setsockopt buffer size");
}

/*
 * Slab (kB, /proc/meminfo) before and after filling a socket that never
 * reads, and after closing it.  The receive buffer is forced to RCVBUF
 * (the kernel doubles it) for every family alike, so that what it bounds
 * stands out from the slab noise of a running system; 1 KiB messages, so
 * the payload lives in kmalloc slabs (counted in Slab) and not in pages.
 * Datagrams: 4x the buffer is offered, non-blocking.  Streams: the writer
 * writes without blocking until the window and its own send buffer (set
 * to the same size) are full; bound = receive + send buffer.  Also
 * reported: the socket's own accounting (SO_MEMINFO), which is what the
 * buffer limits are checked against.  TCP on lo keeps stream payload in
 * page fragments, which Slab does not count: for TCP read rmem/wmem.
 * (MemFree-based totals were tried and were noise: per-cpu page lists.)
 */
static int run_flood(int stream, enum kind k, int reqbuf)
{
	const char *wl = stream ? "flood_stream" : "flood_dgram";
	uint32_t rmi[SK_MEMINFO_VARS], tmi[SK_MEMINFO_VARS];
	long slab0, slab1, slab2;
	long offered = 0, sent = 0, eagain = 0;
	int rx, tx, l = -1, rcvbuf, sndbuf = 0, idle = 0;
	char buf[1024] = { 0 };
	struct addr a;

	mkaddr(k, base_port(), &a);
	settle();
	slab0 = meminfo_kb("Slab");

	if (stream) {
		l = xsocket(k, SOCK_STREAM);
		setint(l, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
		force_buf(l, SO_RCVBUFFORCE, SO_RCVBUF, reqbuf);
		xbind(l, &a);
		if (listen(l, 4))
			die("listen");
		tx = xsocket(k, SOCK_STREAM);
		force_buf(tx, SO_SNDBUFFORCE, SO_SNDBUF, reqbuf);
		xconnect(tx, &a);
		rx = accept(l, NULL, NULL);
		if (rx < 0)
			die("accept");
		sndbuf = getint(tx, SO_SNDBUF);
	} else {
		rx = xsocket(k, SOCK_DGRAM);
		force_buf(rx, SO_RCVBUFFORCE, SO_RCVBUF, reqbuf);
		xbind(rx, &a);
		tx = xsocket(k, SOCK_DGRAM);
		xconnect(tx, &a);
	}
	rcvbuf = getint(rx, SO_RCVBUF);

	if (stream) {
		/* until 10 pauses of 20 ms in a row find no room at all */
		while (idle < 10 && offered < 64L * (rcvbuf + sndbuf)) {
			ssize_t n = send(tx, buf, sizeof(buf), MSG_DONTWAIT);

			offered += sizeof(buf);
			if (n > 0) {
				sent += n;
				idle = 0;
			} else if (n < 0 && errno == EAGAIN) {
				eagain++;
				idle++;
				usleep(20000);
			} else {
				die("send");
			}
		}
	} else {
		long i, msgs = 4L * rcvbuf / sizeof(buf);

		for (i = 0; i < msgs; i++) {
			ssize_t n = send(tx, buf, sizeof(buf), MSG_DONTWAIT);

			offered += sizeof(buf);
			if (n > 0)
				sent += n;
			else if (n < 0 && (errno == EAGAIN || errno == ENOBUFS))
				eagain++;
			else
				die("send");
		}
	}
	usleep(300000);
	slab1 = meminfo_kb("Slab");
	sk_meminfo(rx, rmi);
	sk_meminfo(tx, tmi);

	close(rx);
	close(tx);
	if (l >= 0)
		close(l);
	settle();
	slab2 = meminfo_kb("Slab");

	out(wl, "1024", "rcvbuf_kB", rcvbuf / 1024.0);
	out(wl, "1024", "bound_kB", (rcvbuf + sndbuf) / 1024.0);
	out(wl, "1024", "offered_kB", offered / 1024.0);
	out(wl, "1024", "accepted_kB", sent / 1024.0);
	out(wl, "1024", "rmem_alloc_kB", rmi[SK_MEMINFO_RMEM_ALLOC] / 1024.0);
	out(wl, "1024", "wmem_kB",
	    (stream ? tmi[SK_MEMINFO_WMEM_QUEUED] : tmi[SK_MEMINFO_WMEM_ALLOC]) / 1024.0);
	out(wl, "1024", "slab_delta_kB", slab1 - slab0);
	out(wl, "1024", "slab_after_close_kB", slab2 - slab0);
	out(wl, "1024", "slab_per_bound", (slab1 - slab0) * 1024.0 / (rcvbuf + sndbuf));
	out(wl, "1024", "rmem_per_rcvbuf", (double)rmi[SK_MEMINFO_RMEM_ALLOC] / rcvbuf);
	return 0;
}

/* ---- info and main ------------------------------------------------------ */

static int run_info(void)
{
	struct utsname u;
	char line[256];
	FILE *f;

	uname(&u);
	printf("meta,-,-,kernel,%s\n", u.release);
	printf("meta,-,-,cpus,%d\n", ncpus());
	printf("meta,-,-,toy_family,%d\n", toy_family());
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10)) {
			char *v = strchr(line, ':');

			v = v ? v + 2 : line;
			v[strcspn(v, "\n")] = 0;
			for (char *c = v; *c; c++)
				if (*c == ',')
					*c = ' ';
			printf("meta,-,-,cpu_model,%s\n", v);
			break;
		}
	if (f)
		fclose(f);
	return 0;
}

static enum kind parse_fam(const char *s, int stream)
{
	g_famname = s;
	if (!strcmp(s, "toy"))
		return K_TOY;
	if (!strcmp(s, "unix"))
		return K_UNIX;
	if (!strcmp(s, stream ? "tcp" : "udp"))
		return K_INET;
	fprintf(stderr, "toybench: unknown family '%s' for this workload\n", s);
	exit(2);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: toybench info\n"
		"       toybench dgram     toy|udp|unix SIZE|max SECONDS\n"
		"       toybench stream    toy|tcp|unix WRITESIZE SECONDS\n"
		"       toybench pp-dgram  toy|udp|unix SECONDS\n"
		"       toybench pp-stream toy|tcp|unix SECONDS\n"
		"       toybench connrate  toy|tcp|unix SECONDS\n"
		"       toybench scale     toy|udp N MSGS\n"
		"       toybench flood     dgram|stream FAM RCVBUF\n"
		"across a link (dgram, stream, pp-*; not unix): TOYBENCH_SERVER_ADDR=A\n"
		"       [TOYBENCH_CLIENT_ADDR=A] [TOYBENCH_SERVER_NS=PATH] [TOYBENCH_CLIENT_NS=PATH]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	g_token = getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	link_init();
	if (g_link.on) {
		/* across a link: the four workloads of two parties, no AF_UNIX */
		if (strcmp(cmd, "dgram") && strcmp(cmd, "stream") &&
		    strcmp(cmd, "pp-dgram") && strcmp(cmd, "pp-stream")) {
			fprintf(stderr, "toybench: TOYBENCH_SERVER_ADDR is for dgram, "
				"stream, pp-dgram and pp-stream only\n");
			return 2;
		}
		if (argc > 2 && !strcmp(argv[2], "unix")) {
			fprintf(stderr, "toybench: AF_UNIX does not cross a link\n");
			return 2;
		}
		toy_family();	/* from sysfs, before any setns */
	}

	if (!strcmp(cmd, "info"))
		return run_info();
	if (!strcmp(cmd, "dgram") && argc == 5)
		return run_dgram(parse_fam(argv[2], 0), argv[3], atof(argv[4]));
	if (!strcmp(cmd, "stream") && argc == 5)
		return run_stream(parse_fam(argv[2], 1), strtoul(argv[3], NULL, 0),
				  atof(argv[4]));
	if (!strcmp(cmd, "pp-dgram") && argc == 4)
		return run_pingpong(parse_fam(argv[2], 0), 0, atof(argv[3]));
	if (!strcmp(cmd, "pp-stream") && argc == 4)
		return run_pingpong(parse_fam(argv[2], 1), 1, atof(argv[3]));
	if (!strcmp(cmd, "connrate") && argc == 4)
		return run_connrate(parse_fam(argv[2], 1), atof(argv[3]));
	if (!strcmp(cmd, "scale") && argc == 5) {
		enum kind k = parse_fam(argv[2], 0);

		if (k == K_UNIX)
			return usage();
		return run_scale(k, atol(argv[3]), atol(argv[4]));
	}
	if (!strcmp(cmd, "flood") && argc == 5) {
		int stream = !strcmp(argv[2], "stream");

		return run_flood(stream, parse_fam(argv[3], stream), atoi(argv[4]));
	}
	return usage();
}
