// SPDX-License-Identifier: GPL-2.0
/*
 * toy_test.c - AF_TOY behaviour that has no UDP twin to compare with:
 * socket types, connect checks, broadcast, /proc/net/toy,
 * /proc/net/toy_snmp, the toy0 device and the family module parameter.
 *
 * All tests are skipped when af_toy.ko is not loaded.
 */
#include <grp.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>

#define TOY_ONLY
#include "toy_harness.h"

/* ---- the family and socket types --------------------------------------- */

TEST_F(dgram, family_parameter)
{
	long long fam = read_ull_file(TOY_SYSFS_FAMILY);
	int s, v;

	ASSERT_LT(0, fam);
	ASSERT_GT(46, fam);		/* below AF_MAX on every kernel */
	if (fam != AF_TOY)
		TH_LOG("module loaded with family=%lld (default %d)", fam,
		       AF_TOY);
	s = SOCK();
	ASSERT_OK(getsockopt_int(s, SOL_SOCKET, SO_DOMAIN, &v));
	ASSERT_EQ(fam, v);
}

/* Connection-oriented types are not there yet: a later change flips these. */
TEST_F(dgram, socket_stream_and_seqpacket_supported)
{
	int s;

	s = socket(self->f.family, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	close(s);
	s = socket(self->f.family, SOCK_SEQPACKET, 0);
	ASSERT_LE(0, s);
	close(s);
	ASSERT_ERRNO(socket(self->f.family, SOCK_STREAM, 6), EPROTONOSUPPORT);
}

TEST_F(dgram, socket_raw_rdm_not_supported)
{
	ASSERT_ERRNO(socket(self->f.family, SOCK_RAW, 0), ESOCKTNOSUPPORT);
	ASSERT_ERRNO(socket(self->f.family, SOCK_RDM, 0), ESOCKTNOSUPPORT);
	ASSERT_ERRNO(socket(self->f.family, SOCK_PACKET, 0), ESOCKTNOSUPPORT);
}

TEST_F(dgram, socket_nonzero_protocol)
{
	static const int protos[] = { 1, IPPROTO_UDP, 255, 1234 };
	unsigned int i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		TH_LOG("protocol %d", protos[i]);
		ASSERT_ERRNO(socket(self->f.family, SOCK_DGRAM, protos[i]),
			     EPROTONOSUPPORT);
	}
}

TEST_F(dgram, socket_flags_accepted)
{
	int s = track_fd(_metadata, self,
			 socket(self->f.family,
				SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	char buf[4];

	ASSERT_LE(0, s);
	ASSERT_EQ(FD_CLOEXEC, fcntl(s, F_GETFD) & FD_CLOEXEC);
	ASSERT_ERRNO(recv(s, buf, sizeof(buf), 0), EAGAIN);
}

/* ---- connect checks where UDP is more lenient --------------------------- */

TEST_F(dgram, connect_port_zero)
{
	int s = SOCK();

	ASSERT_ERRNO(fam_connect(&self->f, s, INADDR_LOOPBACK, 0), EINVAL);
	ASSERT_ERRNO(getpeername(s, SA(&(struct sockaddr_storage){ 0 }),
				 &(socklen_t){ sizeof(struct sockaddr_storage) }),
		     ENOTCONN);
}

TEST_F(dgram, connect_nonlocal_unreachable)
{
	int s = SOCK();

	ASSERT_ERRNO(fam_connect(&self->f, s, 0x0a010203, 7), ENETUNREACH);
	ASSERT_ERRNO(fam_connect(&self->f, s, 0xc0000201, 7), ENETUNREACH);
	ASSERT_ERRNO(getpeername(s, SA(&(struct sockaddr_storage){ 0 }),
				 &(socklen_t){ sizeof(struct sockaddr_storage) }),
		     ENOTCONN);
}

/* ---- broadcast --------------------------------------------------------- */

TEST_F(dgram, broadcast_needs_so_broadcast)
{
	uint16_t port;
	int r = BOUND(&port), s = SOCK();
	char buf[4];

	ASSERT_ERRNO(fam_sendto(&self->f, s, "b", 1, 0, TOY_ADDR_BROADCAST,
				port), EACCES);
	ASSERT_ERRNO(recv(r, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
}

/*
 * With SO_BROADCAST, a datagram to TOY_ADDR_BROADCAST:port reaches every
 * socket bound to that port, one copy each, and no other port.
 */
TEST_F(dgram, broadcast_reaches_every_socket_on_port)
{
	struct sockaddr_storage from;
	socklen_t flen;
	int port = free_port(&self->f), other_port = free_port(&self->f);
	int a = SOCK(), b = SOCK(), other = SOCK();
	int all[2] = { a, b }, i;
	uint16_t sport;
	int s = BOUND(&sport);
	char buf[16];

	ASSERT_LT(0, port);
	for (i = 0; i < 2; i++) {
		ASSERT_OK(setsockopt_int(all[i], SOL_SOCKET, SO_REUSEADDR, 1));
		ASSERT_OK(fam_bind(&self->f, all[i], TOY_ADDR_ANY, port));
	}
	if (other_port == port)
		other_port = port + 1;
	ASSERT_OK(fam_bind(&self->f, other, TOY_ADDR_ANY, other_port));

	ASSERT_OK(setsockopt_int(s, SOL_SOCKET, SO_BROADCAST, 1));
	ASSERT_LEN(fam_sendto(&self->f, s, "to all", 6, 0, TOY_ADDR_BROADCAST,
			      port), 6);
	for (i = 0; i < 2; i++) {
		TH_LOG("receiver %d", i);
		flen = sizeof(from);
		ASSERT_LEN(recvfrom_wait(all[i], buf, sizeof(buf), 0, &from,
					 &flen), 6);
		ASSERT_EQ(0, memcmp(buf, "to all", 6));
		ASSERT_EQ(sport, sa_port(&from));
		ASSERT_EQ(TOY_ADDR_LOOPBACK, sa_addr(&from));
	}
	/* one copy each, and nothing for another port */
	for (i = 0; i < 2; i++)
		ASSERT_ERRNO(recv(all[i], buf, sizeof(buf), MSG_DONTWAIT),
			     EAGAIN);
	ASSERT_ERRNO(recv(other, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
}

TEST_F(dgram, broadcast_single_receiver)
{
	int port = free_port(&self->f), r = SOCK(), s = SOCK();
	char buf[16];

	ASSERT_OK(fam_bind(&self->f, r, TOY_ADDR_ANY, port));
	ASSERT_OK(setsockopt_int(s, SOL_SOCKET, SO_BROADCAST, 1));
	ASSERT_LEN(fam_sendto(&self->f, s, "hi", 2, 0, TOY_ADDR_BROADCAST,
			      port), 2);
	ASSERT_LEN(recv_wait(r, buf, sizeof(buf), 0), 2);
}

/*
 * As UDP: a broadcast reaches the sockets bound to the wildcard address on
 * that port, but not one bound to a specific address (a socket bound to
 * 127.0.0.1 never sees a datagram for 255.255.255.255).
 */
TEST_F(dgram, broadcast_skips_address_bound_socket)
{
	int port = free_port(&self->f), any = SOCK(), lo = SOCK(), s = SOCK();
	char buf[16];

	ASSERT_OK(setsockopt_int(any, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_OK(setsockopt_int(lo, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_OK(fam_bind(&self->f, any, TOY_ADDR_ANY, port));
	ASSERT_OK(fam_bind(&self->f, lo, TOY_ADDR_LOOPBACK, port));
	ASSERT_OK(setsockopt_int(s, SOL_SOCKET, SO_BROADCAST, 1));
	ASSERT_LEN(fam_sendto(&self->f, s, "hi", 2, 0, TOY_ADDR_BROADCAST,
			      port), 2);
	ASSERT_LEN(recv_wait(any, buf, sizeof(buf), 0), 2);
	/* Delivery is synchronous on toy0: had it been queued on lo, it
	 * would be there now, since any's copy is.
	 */
	ASSERT_ERRNO(recv(lo, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
}

/* ---- /proc/net/toy ----------------------------------------------------- */

static void proc_entry(struct __test_metadata *_metadata, int fd,
		       struct toy_proc_ent *e)
{
	int ret = toy_proc_find(sock_ino(fd), e);

	if (ret)
		TH_LOG("inode %lu: %s", sock_ino(fd),
		       ret == -2 ? "a line of " TOY_PROC_SOCKETS
				   " does not parse" : "not listed");
	ASSERT_EQ(0, ret);
}

TEST_F(dgram, proc_net_toy_header)
{
	char buf[4096], *nl;

	ASSERT_LT(0, read_file(TOY_PROC_SOCKETS, buf, sizeof(buf)));
	nl = strchr(buf, '\n');
	ASSERT_NE(NULL, nl);
	*nl = 0;
	TH_LOG("header: %s", buf);
	ASSERT_NE(NULL, strstr(buf, "local_address"));
	ASSERT_NE(NULL, strstr(buf, "inode"));
	ASSERT_NE(NULL, strstr(buf, "drops"));
}

TEST_F(dgram, proc_net_toy_unbound)
{
	struct toy_proc_ent e;
	int s = SOCK();

	proc_entry(_metadata, s, &e);
	ASSERT_EQ(0U, e.laddr);
	ASSERT_EQ(0U, e.lport);
	ASSERT_EQ(0U, e.raddr);
	ASSERT_EQ(0U, e.rport);
	ASSERT_EQ(7U, e.state);
	ASSERT_STREQ("DGRAM", e.type);
	ASSERT_STREQ("CLOSE", e.state_name);
}

TEST_F(dgram, proc_net_toy_bound)
{
	struct toy_proc_ent e;
	uint16_t port;
	int s = BOUND(&port), any = SOCK();

	proc_entry(_metadata, s, &e);
	/* the address is printed in host order: 127.0.0.1 is 7F000001 */
	ASSERT_EQ(TOY_ADDR_LOOPBACK, e.laddr);
	ASSERT_EQ(port, e.lport);
	ASSERT_EQ(0U, e.raddr);
	ASSERT_EQ(0U, e.rport);
	ASSERT_EQ(7U, e.state);
	ASSERT_EQ(0U, e.txq);
	ASSERT_EQ(0U, e.rxq);
	ASSERT_EQ(getuid(), e.uid);
	ASSERT_EQ(0ULL, e.drops);
	ASSERT_STREQ("DGRAM", e.type);

	ASSERT_OK(fam_bind(&self->f, any, TOY_ADDR_ANY, 0));
	proc_entry(_metadata, any, &e);
	ASSERT_EQ(TOY_ADDR_ANY, e.laddr);
	ASSERT_EQ((unsigned int)local_port(any), e.lport);
}

TEST_F(dgram, proc_net_toy_connected)
{
	struct toy_proc_ent e;
	uint16_t port;
	int r = BOUND(&port), s = SOCK();

	(void)r;
	ASSERT_OK(fam_connect(&self->f, s, TOY_ADDR_LOOPBACK, port));
	proc_entry(_metadata, s, &e);
	ASSERT_EQ(TOY_ADDR_LOOPBACK, e.raddr);
	ASSERT_EQ(port, e.rport);
	ASSERT_EQ((unsigned int)local_port(s), e.lport);
	ASSERT_EQ(1U, e.state);
}

TEST_F(dgram, proc_net_toy_rx_queue)
{
	struct toy_proc_ent e;
	uint16_t port;
	int r = BOUND(&port), s = SOCK();
	char buf[600];

	memset(buf, 0, sizeof(buf));
	ASSERT_LEN(fam_sendto(&self->f, s, buf, 500, 0, TOY_ADDR_LOOPBACK, port), 500);
	ASSERT_EQ(POLLIN, wait_fd(r, POLLIN, WAIT_MS));
	proc_entry(_metadata, r, &e);
	TH_LOG("rx_queue with one 500-byte datagram: %u", e.rxq);
	ASSERT_LE(500U, e.rxq);
	ASSERT_LEN(recv(r, buf, sizeof(buf), 0), 500);
	proc_entry(_metadata, r, &e);
	ASSERT_EQ(0U, e.rxq);
}

TEST_F(dgram, proc_net_toy_closed_socket_gone)
{
	struct toy_proc_ent e;
	uint16_t port;
	int s = BOUND(&port);
	unsigned long ino = sock_ino(s);
	long long deadline;
	int ret;

	proc_entry(_metadata, s, &e);
	untrack_close(self, s);
	/* the line goes with the socket (bounded wait for RCU-deferred
	 * freeing, though it should be gone at once) */
	deadline = now_ms() + WAIT_MS;
	while ((ret = toy_proc_find(ino, &e)) == 0 && now_ms() < deadline)
		tiny_pause();
	ASSERT_EQ(-1, ret);
}

/* ---- /proc/net/toy_snmp ------------------------------------------------ */

TEST_F(dgram, proc_net_toy_snmp_format)
{
	static const char *const names =
		"Toy: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors "
		"SndbufErrors InCsumErrors HdrErrors ActiveOpens PassiveOpens "
		"RetransSegs BacklogDrops WindowDrops OfoQueue OfoDrops "
		"OfoPruned FastRetrans Timeouts SpuriousRetrans AbortOnMemory "
		"InAddrErrors NeighOutRequests NeighOutReplies NeighInRequests "
		"NeighInReplies NeighResolveFailed NeighUnresolvedDrops";
	char buf[1024], *l1, *l2, *save = NULL;
	int nvals = 0;
	char *v, *vsave = NULL;

	ASSERT_LT(0, read_file(TOY_PROC_SNMP, buf, sizeof(buf)));
	l1 = strtok_r(buf, "\n", &save);
	l2 = strtok_r(NULL, "\n", &save);
	ASSERT_NE(NULL, l1);
	ASSERT_NE(NULL, l2);
	ASSERT_EQ(NULL, strtok_r(NULL, "\n", &save));
	ASSERT_STREQ(names, l1);
	ASSERT_EQ(0, strncmp(l2, "Toy: ", 5));
	for (v = strtok_r(l2 + 5, " ", &vsave); v; v = strtok_r(NULL, " ", &vsave)) {
		char *end;

		strtoull(v, &end, 10);
		ASSERT_EQ(0, *end);
		nvals++;
	}
	ASSERT_EQ(27, nvals);
}

/* ---- hand-made frames: the receive checks ----------------------------- */

/*
 * A frame nobody's socket made: built here and sent with a packet socket
 * on toy0, which loops it back to the receive path like its own.  So it
 * can be anything, as from a broken or hostile node - and anybody with
 * CAP_NET_RAW over a namespace (root in "unshare -Urn") can send it.
 * toy_skb_validate() must drop what is malformed and count it, as IP
 * does (IpInHdrErrors, UdpInCsumErrors); KUnit's toy_skb suite checks
 * the same function frame by frame, these check it end to end.  Each
 * test runs in a network namespace of its own, so that the counters move
 * only for its frames.
 */
struct raw_frame {
	struct toyhdr h;
	char payload[64];
};

#define RAW_SPORT	7
#define RAW_MSG		"hello"

/* After a header field was changed on purpose: a right sum again. */
static void raw_resum(struct raw_frame *f, size_t len)
{
	f->h.check = 0;
	f->h.check = inet_csum(f, len);
}

/* A well-formed datagram frame for 127.0.0.1:@dport.  Returns its length. */
static size_t raw_dgram(struct raw_frame *f, uint16_t dport)
{
	size_t n = strlen(RAW_MSG);

	memset(f, 0, sizeof(*f));
	f->h.version = TOY_VERSION;
	f->h.type = TOY_TYPE_DGRAM;
	f->h.flags = TOY_F_DATA;
	f->h.sport = htons(RAW_SPORT);
	f->h.dport = htons(dport);
	f->h.saddr = htonl(INADDR_LOOPBACK);
	f->h.daddr = htonl(INADDR_LOOPBACK);
	f->h.len = htons(n);
	memcpy(f->payload, RAW_MSG, n);
	raw_resum(f, TOY_HDR_LEN + n);
	return TOY_HDR_LEN + n;
}

/*
 * A namespace of our own, a socket bound to 127.0.0.1:*port there, and a
 * packet socket on its toy0 (*ps; -1 without CAP_NET_RAW: the caller skips).
 */
static int raw_setup(struct __test_metadata *_metadata,
		     FIXTURE_DATA(dgram) *self, uint16_t *port, int *ps)
{
	ASSERT_OK(enter_netns(&self->f));
	*ps = socket(AF_PACKET, SOCK_DGRAM, 0);
	if (*ps >= 0)
		track_fd(_metadata, self, *ps);
	else
		ASSERT_TRUE(errno == EPERM || errno == EACCES);
	return new_bound(_metadata, self, port);
}

static void raw_send(struct __test_metadata *_metadata, int ps,
		     const void *frame, size_t len)
{
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_TOY),
		.sll_ifindex = (int)if_nametoindex(TOY_DEV),
	};

	ASSERT_LT(0, ll.sll_ifindex);
	ASSERT_EQ((ssize_t)len, sendto(ps, frame, len, 0, SA(&ll), sizeof(ll)));
}

/* The counters a refused frame may move, read before it is sent. */
struct raw_counts {
	long long hdr, csum, addr;
};

static void raw_counts_read(struct raw_counts *c)
{
	c->hdr = snmp_get(TOY_PROC_SNMP, "Toy:", "HdrErrors");
	c->csum = snmp_get(TOY_PROC_SNMP, "Toy:", "InCsumErrors");
	c->addr = snmp_get(TOY_PROC_SNMP, "Toy:", "InAddrErrors");
}

/*
 * What became of the frame just sent: 'D' delivered to @fd, 'H' counted in
 * HdrErrors, 'C' in InCsumErrors, 'A' in InAddrErrors (all from @c0), or 0
 * if nothing happened within WAIT_MS.
 */
static char raw_fate(int fd, const struct raw_counts *c0)
{
	long long deadline = now_ms() + WAIT_MS;
	struct raw_counts c;

	do {
		if (poll_mask(fd) & POLLIN)
			return 'D';
		raw_counts_read(&c);
		if (c.hdr > c0->hdr)
			return 'H';
		if (c.csum > c0->csum)
			return 'C';
		if (c.addr > c0->addr)
			return 'A';
		tiny_pause();
	} while (now_ms() < deadline);
	return 0;
}

/* Send @len bytes of @f to @fd's port; expect @fate, and nothing else. */
static void raw_expect(struct __test_metadata *_metadata, int ps, int fd,
		       const struct raw_frame *f, size_t len, char fate)
{
	struct raw_counts c0;
	char got;

	raw_counts_read(&c0);
	ASSERT_LE(0, c0.hdr);
	ASSERT_LE(0, c0.csum);
	ASSERT_LE(0, c0.addr);
	raw_send(_metadata, ps, f, len);
	got = raw_fate(fd, &c0);
	if (got != fate)
		TH_LOG("frame of %zu bytes: expected '%c', got '%c' (D delivered, H HdrErrors, C InCsumErrors, A InAddrErrors, 0 nothing)",
		       len, fate, got ? got : '0');
	ASSERT_EQ(fate, got);
	if (fate != 'D')
		ASSERT_EQ(0, poll_mask(fd) & POLLIN);
}

#define RAW_SETUP(port, ps, fd)						\
	do {								\
		fd = raw_setup(_metadata, self, &port, &ps);		\
		if (ps < 0)						\
			SKIP(return, "no CAP_NET_RAW for a packet socket"); \
	} while (0)

/* The frame built here is right: it is delivered, from its port. */
TEST_F(dgram, raw_frame_delivered)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	struct raw_frame f;
	uint16_t port;
	char buf[64];
	int ps, fd;

	RAW_SETUP(port, ps, fd);
	raw_expect(_metadata, ps, fd, &f, raw_dgram(&f, port), 'D');
	ASSERT_EQ((ssize_t)strlen(RAW_MSG),
		  recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, SA(&from), &flen));
	ASSERT_EQ(0, memcmp(buf, RAW_MSG, strlen(RAW_MSG)));
	ASSERT_EQ(RAW_SPORT, sa_port(&from));
}

/* One payload bit flipped: InCsumErrors, not delivered. */
TEST_F(dgram, raw_bad_checksum_dropped)
{
	struct raw_frame f;
	uint16_t port;
	size_t len;
	int ps, fd;

	RAW_SETUP(port, ps, fd);
	len = raw_dgram(&f, port);
	f.payload[1] ^= 0x10;
	raw_expect(_metadata, ps, fd, &f, len, 'C');
}

/* Shorter than a header: HdrErrors. */
TEST_F(dgram, raw_short_frame_dropped)
{
	struct raw_frame f;
	uint16_t port;
	int ps, fd;

	RAW_SETUP(port, ps, fd);
	raw_dgram(&f, port);
	raw_expect(_metadata, ps, fd, &f, TOY_HDR_LEN - 4, 'H');
}

/* A length field beyond the frame's end: HdrErrors (nothing past the end is read). */
TEST_F(dgram, raw_length_beyond_frame_dropped)
{
	struct raw_frame f;
	uint16_t port;
	size_t len;
	int ps, fd;

	RAW_SETUP(port, ps, fd);
	len = raw_dgram(&f, port);
	f.h.len = htons(strlen(RAW_MSG) + 1);
	raw_resum(&f, len);	/* only the length lies */
	raw_expect(_metadata, ps, fd, &f, len, 'H');
}

/* An unknown version, or a reserved field not zero: HdrErrors. */
TEST_F(dgram, raw_bad_version_or_reserved_dropped)
{
	struct raw_frame f;
	uint16_t port;
	size_t len;
	int ps, fd;

	RAW_SETUP(port, ps, fd);
	len = raw_dgram(&f, port);
	f.h.version = TOY_VERSION + 1;
	raw_resum(&f, len);
	raw_expect(_metadata, ps, fd, &f, len, 'H');
	len = raw_dgram(&f, port);
	f.h.reserved = 1;
	raw_resum(&f, len);
	raw_expect(_metadata, ps, fd, &f, len, 'H');
}

/*
 * Frames toy0 must refuse for their addresses: one for another node
 * (toy0 is this node alone) counts in InAddrErrors, as IP's does; a
 * stream segment to the broadcast address, or from port 0, is malformed
 * (HdrErrors).  None is delivered.
 */
/* Our datagram frame, made a @type frame to @daddr from @sport: @fate. */
static void raw_readdressed(struct __test_metadata *_metadata, int ps, int fd,
			    uint16_t port, uint8_t type, uint32_t daddr,
			    uint16_t sport, char fate)
{
	struct raw_frame f;
	size_t len = raw_dgram(&f, port);

	f.h.type = type;
	f.h.flags = type == TOY_TYPE_DGRAM ? TOY_F_DATA : TOY_F_SYN;
	f.h.daddr = htonl(daddr);
	f.h.sport = htons(sport);
	raw_resum(&f, len);
	raw_expect(_metadata, ps, fd, &f, len, fate);
}

TEST_F(dgram, raw_misaddressed_dropped)
{
	uint16_t port;
	int ps, fd;

	RAW_SETUP(port, ps, fd);
	raw_readdressed(_metadata, ps, fd, port, TOY_TYPE_DGRAM,
			0x0a090909 /* 10.9.9.9 */, RAW_SPORT, 'A');
	raw_readdressed(_metadata, ps, fd, port, TOY_TYPE_STREAM,
			TOY_ADDR_BROADCAST, RAW_SPORT, 'H');
	raw_readdressed(_metadata, ps, fd, port, TOY_TYPE_STREAM,
			INADDR_LOOPBACK, 0, 'H');
}

/*
 * Bytes after the payload the header announces (a link's padding, say)
 * are cut off, as IP trims to its total length: the datagram is the five
 * bytes, and the checksum covers only them.
 */
TEST_F(dgram, raw_trailing_bytes_trimmed)
{
	struct raw_frame f;
	uint16_t port;
	char buf[64];
	size_t len;
	int ps, fd;

	RAW_SETUP(port, ps, fd);
	len = raw_dgram(&f, port);
	memset(f.payload + strlen(RAW_MSG), 0xA5, 16);
	raw_expect(_metadata, ps, fd, &f, len + 16, 'D');
	ASSERT_EQ((ssize_t)strlen(RAW_MSG),
		  recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC));
}

/*
 * The same, from a user who is nobody on the machine: in a user and a
 * network namespace of its own (unshare -Urn) it has CAP_NET_RAW over
 * its own toy0, so it can send any frame there.  A damaged one is
 * dropped and counted, and a good one still delivered.
 */
TEST_F(dgram, raw_frames_from_unprivileged_user_namespace)
{
	struct raw_frame f;
	uint16_t port;
	size_t len;
	int ps, fd;

	if (getuid() != 0)
		SKIP(return, "needs root, to become nobody");
	ASSERT_OK(setgroups(0, NULL));
	ASSERT_OK(setresgid(65534, 65534, 65534));
	ASSERT_OK(setresuid(65534, 65534, 65534));
	if (enter_userns_as_root())
		SKIP(return, "no user namespace for nobody: %s",
		     strerror(errno));
	fd = raw_setup(_metadata, self, &port, &ps);
	ASSERT_LE(0, ps);	/* root of its namespaces: CAP_NET_RAW there */
	len = raw_dgram(&f, port);
	f.payload[1] ^= 0x10;
	raw_expect(_metadata, ps, fd, &f, len, 'C');
	raw_expect(_metadata, ps, fd, &f, raw_dgram(&f, port), 'D');
}

/* ---- toy0 -------------------------------------------------------------- */

TEST_F(dgram, toy0_exists_and_is_up)
{
	char buf[64] = "";
	int flags = if_flags(TOY_DEV);

	ASSERT_EQ(0, access("/sys/class/net/" TOY_DEV, F_OK));
	read_file("/sys/class/net/" TOY_DEV "/operstate", buf, sizeof(buf));
	TH_LOG("toy0 flags %#x, operstate %s", flags, buf);
	ASSERT_LE(0, flags);
	ASSERT_EQ(IFF_UP, flags & IFF_UP);
	ASSERT_EQ(IFF_RUNNING, flags & IFF_RUNNING);
}

TEST_F(dgram, toy0_counts_packets)
{
	const int n = 50;
	const char *tx = "/sys/class/net/" TOY_DEV "/statistics/tx_packets";
	const char *rx = "/sys/class/net/" TOY_DEV "/statistics/rx_packets";
	long long tx0, rx0, tx1, rx1;
	uint16_t port;
	int r = BOUND(&port), s = SOCK(), i;
	char buf[16];

	tx0 = read_ull_file(tx);
	rx0 = read_ull_file(rx);
	ASSERT_LE(0, tx0);
	ASSERT_LE(0, rx0);
	for (i = 0; i < n; i++)
		ASSERT_LEN(fam_sendto(&self->f, s, "p", 1, 0, TOY_ADDR_LOOPBACK,
				      port), 1);
	for (i = 0; i < n; i++)
		ASSERT_LEN(recv_wait(r, buf, sizeof(buf), 0), 1);
	tx1 = read_ull_file(tx);
	rx1 = read_ull_file(rx);
	TH_LOG("tx_packets +%lld, rx_packets +%lld", tx1 - tx0, rx1 - rx0);
	ASSERT_LE(n, tx1 - tx0);
	ASSERT_LE(n, rx1 - rx0);
}

TEST_HARNESS_MAIN
