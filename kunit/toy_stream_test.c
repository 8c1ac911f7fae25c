// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toy_stream": the stream state machine (toy_stream.c).
 *
 * Every legal transition, and every illegal frame in every state.  A real
 * SOCK_STREAM socket is driven by frames the test builds and injects into
 * the packet_type handler, impersonating the socket's peer; whatever the
 * socket sends back is captured on toy0 and checked field by field.
 *
 * The peer.  The socket's own frames go down through toy0 and come back up
 * like any other, to be demultiplexed by port.  Nobody bound on the peer's
 * port would make the stack answer each of them with RST, which would reset
 * the connection under test; a peer socket of our own would answer them.
 * So the peer's port is a blackhole: a real listener with backlog 0 whose
 * accept queue is already full (one real connection is made to it and
 * never accepted).  A full listener drops every frame without a word
 * (toy_stream_rcv_listen()), so the socket under test talks into the void
 * and only the test answers.  This also keeps a client in SYN_SENT as long
 * as the test likes: its SYN, and every retransmission of it, is dropped.
 *
 * The tap.  A packet_type for ETH_P_ALL on toy0 gets a copy of every frame
 * toy0 transmits, synchronously inside dev_queue_xmit()
 * (dev_queue_xmit_nit()).  So when an injected frame has been processed,
 * the socket's answer, if any, is already in the tap's queue, and "no
 * answer" can be checked without waiting.  Only timers need waiting for,
 * and only with a bounded poll.
 *
 * Sides.  The connection tests run on a client (connect() with O_NONBLOCK,
 * the test answers the SYN with SYN+ACK) and on a child accepted from a
 * listener (the test sends the SYN, reads the cookie off the SYN+ACK and
 * completes the handshake).  The state/frame tables run on the client.
 *
 * What is expected: the brief of each case, else the rules written in
 * toy_stream.c, else TCP's (RFC 9293).  toy_stream_tcp_rules holds the
 * cases where only TCP's rules decide.
 *
 * Timing: the retransmission timeout starts at 200 ms, TIME_WAIT lasts
 * 500 ms (TOY_RTO_INIT, TOY_TIMEWAIT_LEN).  A test waits for a timer at
 * most ten times as long.  Where a FIN or SYN is in flight, a timer may
 * resend it while a test runs on a slow machine: those resends are
 * recognised and skipped (toy_conn_pop()), and RetransSegs is then not
 * checked exactly.
 */

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/netdevice.h>
#include <net/checksum.h>
#include <net/sock.h>

#include "toy_kunit.h"

#define PORT(n)		(TOY_KUNIT_STREAM_PORT + (n))
#define SELF		PORT(1)	/* the socket under test, or its listener */
#define PEER		PORT(2)	/* the peer the test plays: a blackhole */
#define PEER2		PORT(3)	/* a second peer */
#define LO		TOY_ADDR_LOOPBACK

/* toy_stream.c's timers (private there): the first RTO and TIME_WAIT. */
#define TOY_TEST_RTO		(HZ / 5)
#define TOY_TEST_TIMEWAIT	(HZ / 2)

/* The peer's initial sequence number: its byte stream wraps after 1 KiB. */
#define PEER_ISN	0xfffffc00U
/* The window the peer advertises, in TOY_WINDOW_UNITs (16 KiB). */
#define PEER_WIN	256
/* Payload of the data frames the tables send. */
#define DATA_LEN	100

/* ---- states ------------------------------------------------------------ */

static const char *toy_state_name(int state)
{
	static const char *const names[] = {
		[TOY_ESTABLISHED]	= "ESTABLISHED",
		[TOY_SYN_SENT]		= "SYN_SENT",
		[TOY_FIN_WAIT1]		= "FIN_WAIT1",
		[TOY_FIN_WAIT2]		= "FIN_WAIT2",
		[TOY_TIME_WAIT]		= "TIME_WAIT",
		[TOY_CLOSE]		= "CLOSE",
		[TOY_CLOSE_WAIT]	= "CLOSE_WAIT",
		[TOY_LAST_ACK]		= "LAST_ACK",
		[TOY_LISTEN]		= "LISTEN",
		[TOY_CLOSING]		= "CLOSING",
	};

	if ((unsigned int)state >= ARRAY_SIZE(names) || !names[state])
		return "?";
	return names[state];
}

static int toy_state(const struct socket *sock)
{
	return READ_ONCE(sock->sk->sk_state);
}

static void toy_expect_state(struct kunit *test, const struct socket *sock,
			     int want)
{
	int state = toy_state(sock);

	KUNIT_EXPECT_EQ_MSG(test, state, want, "state %s, expected %s",
			    toy_state_name(state), toy_state_name(want));
}

static void toy_assert_state(struct kunit *test, const struct socket *sock,
			     int want)
{
	int state = toy_state(sock);

	KUNIT_ASSERT_EQ_MSG(test, state, want, "state %s, expected %s",
			    toy_state_name(state), toy_state_name(want));
}

/* ---- resources: sockets and the tap ----------------------------------- */

static int toy_test_res_init(struct kunit_resource *res, void *data)
{
	res->data = data;
	return 0;
}

/*
 * Abort, then release: connect(AF_UNSPEC) resets whatever connection the
 * socket still has, so that no orphan lingers after the test (in FIN_WAIT
 * or TIME_WAIT, or retransmitting into a blackhole) to disturb the next
 * one's ports and counters.
 */
static void toy_test_sock_free(struct kunit_resource *res)
{
	struct socket *sock = res->data;
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	if (!sock)
		return;	/* closed by the test (toy_test_close()) */
	kernel_connect(sock, &sa, sizeof(sa), 0);
	sock_release(sock);
}

static bool toy_test_match(struct kunit *test, struct kunit_resource *res,
			   void *match_data)
{
	return res->free == toy_test_sock_free && res->data == match_data;
}

/* close(): the socket is released as a user's close() would (no abort). */
static void toy_test_close(struct kunit *test, struct socket *sock)
{
	struct kunit_resource *res;

	res = kunit_find_resource(test, toy_test_match, sock);
	KUNIT_ASSERT_NOT_NULL(test, res);
	res->data = NULL;
	kunit_remove_resource(test, res);
	kunit_put_resource(res);
	sock_release(sock);
}

static void toy_test_put(struct kunit_resource *res)
{
	sock_put(res->data);
}

/* Keep @sk's memory until the test ends, to watch it after close(). */
static void toy_test_hold(struct kunit *test, struct sock *sk)
{
	sock_hold(sk);
	if (!kunit_alloc_resource(test, toy_test_res_init, toy_test_put,
				  GFP_KERNEL, sk)) {
		sock_put(sk);
		KUNIT_ASSERT_FAILURE(test, "no memory for a resource");
	}
}

/*
 * Wait (bounded) until only the test's reference to @sk is left: the
 * protocol has destroyed the orphan and no timer holds it.
 */
static bool toy_test_wait_gone(struct sock *sk, unsigned long timeout)
{
	unsigned long end = jiffies + timeout;

	while (refcount_read(&sk->sk_refcnt) > 1) {
		if (time_after(jiffies, end))
			return false;
		usleep_range(1000, 2000);
	}
	return true;
}

static void toy_test_manage(struct kunit *test, struct socket *sock)
{
	if (!kunit_alloc_resource(test, toy_test_res_init,
				  toy_test_sock_free, GFP_KERNEL, sock)) {
		sock_release(sock);
		KUNIT_ASSERT_FAILURE(test, "no memory for a resource");
	}
	sock->sk->sk_rcvtimeo = TOY_KUNIT_WAIT;
	sock->sk->sk_sndtimeo = TOY_KUNIT_WAIT;
}

/* A test-managed AF_TOY stream socket in init_net. */
static struct socket *toy_test_socket(struct kunit *test)
{
	struct socket *sock;

	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, toy_family,
					       SOCK_STREAM, 0, &sock), 0);
	toy_test_manage(test, sock);
	return sock;
}

/* accept() without waiting; the new socket is test-managed. */
static int toy_test_accept(struct kunit *test, struct socket *listener,
			   struct socket **child)
{
	int err;

	err = kernel_accept(listener, child, O_NONBLOCK);
	if (!err)
		toy_test_manage(test, *child);
	return err;
}

/*
 * Make @port a blackhole (see the top of the file): a listener with
 * backlog 0 and one real, never accepted connection in its accept queue.
 */
static void toy_test_blackhole(struct kunit *test, u16 port)
{
	struct socket *listener = toy_test_socket(test);
	struct socket *client = toy_test_socket(test);
	unsigned long end = jiffies + TOY_KUNIT_WAIT;

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(listener, LO, port), 0);
	KUNIT_ASSERT_EQ(test, kernel_listen(listener, 0), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_connect(client, LO, port), 0);
	while (!READ_ONCE(listener->sk->sk_ack_backlog) &&
	       time_before(jiffies, end))
		usleep_range(100, 200);
	KUNIT_ASSERT_EQ(test, (int)READ_ONCE(listener->sk->sk_ack_backlog), 1);
}

/*
 * The tap: keeps what toy0 transmits (PACKET_OUTGOING), with the time it
 * was sent in skb->cb, and drops the copies of received frames.
 */
struct toy_tap {
	struct packet_type	pt;
	struct sk_buff_head	frames;
};

static int toy_tap_rcv(struct sk_buff *skb, struct net_device *dev,
		       struct packet_type *pt, struct net_device *orig_dev)
{
	struct toy_tap *tap = container_of(pt, struct toy_tap, pt);

	if (skb->pkt_type != PACKET_OUTGOING) {
		consume_skb(skb);
		return NET_RX_SUCCESS;
	}
	/* Our own copy, so that skb->cb is ours to write. */
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return NET_RX_DROP;
	*(unsigned long *)skb->cb = jiffies;
	skb_queue_tail(&tap->frames, skb);
	return NET_RX_SUCCESS;
}

static void toy_tap_free(struct kunit_resource *res)
{
	struct toy_tap *tap = res->data;

	dev_remove_pack(&tap->pt);	/* waits for running handlers */
	skb_queue_purge(&tap->frames);
	kfree(tap);
}

static struct toy_tap *toy_tap_start(struct kunit *test)
{
	struct toy_tap *tap;

	tap = kzalloc(sizeof(*tap), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tap);
	skb_queue_head_init(&tap->frames);
	tap->pt.type = htons(ETH_P_ALL);
	tap->pt.dev = toy_kunit_dev();
	tap->pt.func = toy_tap_rcv;
	if (!kunit_alloc_resource(test, toy_test_res_init, toy_tap_free,
				  GFP_KERNEL, tap)) {
		kfree(tap);
		KUNIT_ASSERT_FAILURE(test, "no memory for a resource");
	}
	dev_add_pack(&tap->pt);
	return tap;
}

/**
 * struct toy_seg - a captured frame, read independently of toy_skb.c
 * @sport: source port, host order
 * @dport: destination port, host order
 * @type: TOY_TYPE_*
 * @flags: TOY_F_*
 * @seq: sequence number
 * @ack: acknowledgment number
 * @window: advertised window, TOY_WINDOW_UNITs
 * @len: payload length
 * @when: jiffies when toy0 sent it
 * @valid: version, length and checksum are right
 * @data: the first bytes of the payload
 */
struct toy_seg {
	unsigned int	sport;
	unsigned int	dport;
	unsigned int	type;
	unsigned int	flags;
	u32		seq;
	u32		ack;
	unsigned int	window;
	unsigned int	len;
	unsigned long	when;
	bool		valid;
	u8		data[DATA_LEN];
};

static void toy_seg_parse(struct sk_buff *skb, struct toy_seg *seg)
{
	struct toyhdr th;

	memset(seg, 0, sizeof(*seg));
	seg->when = *(unsigned long *)skb->cb;
	if (skb_copy_bits(skb, 0, &th, sizeof(th)))
		return;
	seg->sport = ntohs(th.sport);
	seg->dport = ntohs(th.dport);
	seg->type = th.type;
	seg->flags = th.flags;
	seg->seq = ntohl(th.seq);
	seg->ack = ntohl(th.ack);
	seg->window = ntohs(th.window);
	seg->len = ntohs(th.len);
	seg->valid = th.version == TOY_VERSION &&
		     skb->len == TOY_HDR_LEN + seg->len &&
		     !csum_fold(skb_checksum(skb, 0, skb->len, 0));
	if (seg->valid)
		skb_copy_bits(skb, TOY_HDR_LEN, seg->data,
			      min_t(unsigned int, seg->len, sizeof(seg->data)));
}

/* The next frame sent from port @sport; frames from others are dropped. */
static bool toy_tap_pop(struct toy_tap *tap, unsigned int sport,
			struct toy_seg *seg)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&tap->frames))) {
		toy_seg_parse(skb, seg);
		consume_skb(skb);
		if (seg->sport == sport)
			return true;
	}
	return false;
}

/* ---- the connection and the peer the test plays ------------------------- */

enum toy_side {
	TOY_SIDE_CLIENT,	/* connect()ed */
	TOY_SIDE_CHILD,		/* accept()ed */
};

/**
 * struct toy_conn - a socket under test and what its peer knows
 * @test: the test
 * @tap: captures what the socket sends
 * @sock: the socket under test
 * @listener: the listener, for a child (and in the LISTEN tests)
 * @port: the socket's port
 * @peer: the peer's port
 * @isn: the socket's initial sequence number
 * @snd_nxt: the next sequence number the socket sends (as seen on the wire)
 * @snd_una: what the peer has acknowledged so far
 * @rcv_nxt: the next sequence number the peer sends
 * @window: the window the peer advertises, TOY_WINDOW_UNITs
 * @adv: the window the socket advertised in its handshake frame
 * @rexmit_ok: a timer may resend a SYN, FIN or data meanwhile; skip that
 * @syn_when: a client: when its SYN was sent
 * @mib: the counters before the socket was created
 */
struct toy_conn {
	struct kunit		*test;
	struct toy_tap		*tap;
	struct socket		*sock;
	struct socket		*listener;
	u16			port;
	u16			peer;
	u32			isn;
	u32			snd_nxt;
	u32			snd_una;
	u32			rcv_nxt;
	u16			window;
	unsigned int		adv;
	bool			rexmit_ok;
	unsigned long		syn_when;
	struct toy_kunit_mib	mib;
};

/* A frame from the peer. */
struct toy_frm {
	unsigned int	flags;
	u32		seq;
	u32		ack;
	unsigned int	len;
};

/* The payload byte at stream position @seq: any segment can be checked. */
static u8 toy_byte(u32 seq)
{
	return (u8)(seq * 7 + (seq >> 8) * 13 + 1);
}

static void toy_fill(u8 *buf, u32 seq, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		buf[i] = toy_byte(seq + i);
}

/* Check @len bytes read from the stream, starting at position @seq. */
static void toy_expect_bytes(struct kunit *test, const u8 *buf, u32 seq,
			     unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		if (buf[i] != toy_byte(seq + i)) {
			KUNIT_FAIL(test, "byte %u of %u (seq %u) is %#x, expected %#x",
				   i, len, seq + i, buf[i], toy_byte(seq + i));
			return;
		}
	}
}

/* Inject @f as if the peer had sent it.  Return: the handler's verdict. */
static int toy_conn_inject(struct toy_conn *c, const struct toy_frm *f)
{
	struct toy_flow fl = {
		.saddr	= htonl(LO),
		.daddr	= htonl(LO),
		.sport	= htons(c->peer),
		.dport	= htons(c->port),
		.type	= TOY_TYPE_STREAM,
		.flags	= f->flags,
		.seq	= f->seq,
		.ack	= f->ack,
		.window	= c->window,
	};
	u8 *payload = NULL;

	if (f->len) {
		payload = kunit_kmalloc(c->test, f->len, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(c->test, payload);
		toy_fill(payload, f->seq, f->len);
	}
	return toy_kunit_inject(c->test,
				toy_kunit_frame(c->test, &fl, payload, f->len),
				toy_kunit_dev());
}

static int toy_conn_send(struct toy_conn *c, unsigned int flags, u32 seq,
			 u32 ack, unsigned int len)
{
	struct toy_frm f = { flags, seq, ack, len };

	return toy_conn_inject(c, &f);
}

/*
 * The next frame the socket sent, skipping a timer's resends of a SYN,
 * FIN or data already seen while @rexmit_ok (its answers never carry
 * those flags, or carry them with a new sequence number).
 */
static bool toy_conn_pop(struct toy_conn *c, struct toy_seg *seg)
{
	while (toy_tap_pop(c->tap, c->port, seg)) {
		if (c->rexmit_ok && seg->dport == c->peer &&
		    (seg->flags & (TOY_F_SYN | TOY_F_FIN | TOY_F_DATA)) &&
		    !(seg->flags & (TOY_F_RST)) &&
		    !(seg->flags == (TOY_F_SYN | TOY_F_ACK)) &&
		    toy_seq_before(seg->seq, c->snd_nxt))
			continue;
		return true;
	}
	return false;
}

/* The socket must have sent exactly this next (@out may be NULL). */
static void toy_conn_expect(struct toy_conn *c, unsigned int flags, u32 seq,
			    u32 ack, struct toy_seg *out)
{
	struct kunit *test = c->test;
	struct toy_seg seg;

	KUNIT_ASSERT_TRUE_MSG(test, toy_conn_pop(c, &seg),
			      "port %u sent nothing; expected flags %#x seq %u ack %u",
			      c->port, flags, seq, ack);
	KUNIT_EXPECT_TRUE_MSG(test, seg.valid, "malformed frame from port %u",
			      c->port);
	KUNIT_EXPECT_EQ(test, seg.type, (unsigned int)TOY_TYPE_STREAM);
	KUNIT_EXPECT_EQ(test, seg.dport, (unsigned int)c->peer);
	KUNIT_EXPECT_EQ_MSG(test, seg.flags, flags,
			    "sent flags %#x seq %u ack %u, expected flags %#x",
			    seg.flags, seg.seq, seg.ack, flags);
	KUNIT_EXPECT_EQ(test, seg.seq, seq);
	KUNIT_EXPECT_EQ(test, seg.ack, ack);
	if (out)
		*out = seg;
}

/* The socket must not have sent anything (more). */
static void toy_conn_expect_none(struct toy_conn *c)
{
	struct toy_seg seg;

	if (toy_conn_pop(c, &seg))
		KUNIT_FAIL(c->test,
			   "port %u sent flags %#x seq %u ack %u len %u; expected nothing",
			   c->port, seg.flags, seg.seq, seg.ack, seg.len);
}

/* Every counter grew by @delta; RetransSegs only roughly if timers run. */
static void toy_conn_expect_mib(struct toy_conn *c,
				const struct toy_kunit_mib *before,
				struct toy_kunit_mib *delta)
{
	struct toy_kunit_mib now;

	if (c->rexmit_ok) {
		toy_kunit_mib_read(toy_kunit_tn(), &now);
		KUNIT_EXPECT_GE(c->test, now.v[TOY_MIB_RETRANSSEGS] -
				before->v[TOY_MIB_RETRANSSEGS],
				delta->v[TOY_MIB_RETRANSSEGS]);
		delta->v[TOY_MIB_RETRANSSEGS] = now.v[TOY_MIB_RETRANSSEGS] -
						before->v[TOY_MIB_RETRANSSEGS];
	}
	toy_kunit_expect_mib(c->test, toy_kunit_tn(), before, delta);
}

/**
 * struct toy_snap - the socket's connection state, read under its lock
 * @snd_una: see struct toy_stream_sock
 * @snd_nxt: ditto
 * @snd_wnd: ditto
 * @write_seq: ditto
 * @rcv_nxt: ditto
 * @rcv_edge: ditto
 * @copied_seq: ditto
 * @rto: ditto
 * @retries: ditto
 * @state: sk_state
 * @err: sk_err
 * @timer: the retransmission/TIME_WAIT timer is pending
 * @wmem_queued: sk_wmem_queued
 * @write_queue: segments on sk_write_queue
 * @unread: payload bytes on the receive queue not read yet
 * @inq: what SIOCINQ reports (toy_stream_inq(), computed the same way)
 */
struct toy_snap {
	u32			snd_una;
	u32			snd_nxt;
	u32			snd_wnd;
	u32			write_seq;
	u32			rcv_nxt;
	u32			rcv_edge;
	u32			copied_seq;
	unsigned long		rto;
	unsigned int		retries;
	int			state;
	int			err;
	bool			timer;
	int			wmem_queued;
	unsigned int		write_queue;
	unsigned int		unread;
	unsigned int		inq;
};

static void toy_snap(struct socket *sock, struct toy_snap *s)
{
	struct sock *sk = sock->sk;
	struct toy_stream_sock *st = &toy_sk(sk)->st;
	struct sk_buff *skb;
	int inq;

	memset(s, 0, sizeof(*s));
	lock_sock(sk);
	s->snd_una = st->snd_una;
	s->snd_nxt = st->snd_nxt;
	s->snd_wnd = st->snd_wnd;
	s->write_seq = st->write_seq;
	s->rcv_nxt = st->rcv_nxt;
	s->rcv_edge = st->rcv_edge;
	s->copied_seq = st->copied_seq;
	s->rto = st->rto;
	s->retries = st->retries;
	s->state = sk->sk_state;
	s->err = sk->sk_err;
	s->timer = timer_pending(&st->timer);
	s->wmem_queued = sk->sk_wmem_queued;
	s->write_queue = skb_queue_len(&sk->sk_write_queue);
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		u32 offset = st->copied_seq - TOY_SKB_CB(skb)->seq;

		s->unread += offset < skb->len ? skb->len - offset : skb->len;
	}
	inq = st->rcv_nxt - st->copied_seq;
	if (inq > 0 && sock_flag(sk, SOCK_DONE))
		inq--;
	s->inq = max(inq, 0);
	release_sock(sk);
}

/* What the reader can read now: checked two ways. */
static unsigned int toy_conn_unread(struct toy_conn *c)
{
	struct toy_snap s;

	toy_snap(c->sock, &s);
	KUNIT_EXPECT_EQ_MSG(c->test, s.inq, s.unread,
			    "SIOCINQ would say %u, %u bytes are queued",
			    s.inq, s.unread);
	return s.unread;
}

/* recv() without waiting.  Return: bytes read, or a negative errno. */
static int toy_conn_read(struct toy_conn *c, void *buf, size_t len)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {};

	return kernel_recvmsg(c->sock, &msg, &iov, 1, len, MSG_DONTWAIT);
}

/* send() without waiting.  Return: bytes queued, or a negative errno. */
static int toy_conn_write_raw(struct toy_conn *c, const void *buf, size_t len)
{
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };

	return kernel_sendmsg(c->sock, &msg, &iov, 1, len);
}

/* The socket sends @len bytes; they go out at once as one segment. */
static void toy_conn_write(struct toy_conn *c, unsigned int len,
			   struct toy_seg *out)
{
	struct kunit *test = c->test;
	struct toy_seg seg;
	u8 *buf;

	buf = kunit_kmalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	toy_fill(buf, c->snd_nxt, len);
	KUNIT_ASSERT_EQ(test, toy_conn_write_raw(c, buf, len), (int)len);
	toy_conn_expect(c, TOY_F_DATA | TOY_F_ACK, c->snd_nxt, c->rcv_nxt,
			&seg);
	KUNIT_EXPECT_EQ(test, seg.len, len);
	KUNIT_EXPECT_EQ(test, memcmp(seg.data, buf,
				     min_t(unsigned int, len, DATA_LEN)), 0);
	c->snd_nxt += len;
	c->rexmit_ok = true;	/* the data is in flight */
	if (out)
		*out = seg;
}

/* The peer sends @len bytes in order; the socket takes and acks them. */
static void toy_conn_data(struct toy_conn *c, unsigned int len)
{
	KUNIT_EXPECT_EQ(c->test, toy_conn_send(c, TOY_F_DATA | TOY_F_ACK,
					       c->rcv_nxt, c->snd_una, len),
			NET_RX_SUCCESS);
	c->rcv_nxt += len;
	toy_conn_expect(c, TOY_F_ACK, c->snd_nxt, c->rcv_nxt, NULL);
}

/**
 * toy_conn_start() - a socket under test, just past the first handshake step
 * @test: the test
 * @c: filled in
 * @side: TOY_SIDE_CLIENT: left in SYN_SENT, its SYN captured.
 *	  TOY_SIDE_CHILD: handshake done, accepted: ESTABLISHED.
 * @rcvbuf: SO_RCVBUF to set first, or 0
 */
static void toy_conn_start(struct kunit *test, struct toy_conn *c,
			   enum toy_side side, int rcvbuf)
{
	struct sockaddr_toy sa = toy_kunit_sa(LO, PEER);
	struct socket *sock;
	struct toy_seg seg;

	memset(c, 0, sizeof(*c));
	c->test = test;
	c->port = SELF;
	c->peer = PEER;
	c->window = PEER_WIN;
	c->rcv_nxt = PEER_ISN + 1;
	toy_test_blackhole(test, PEER);
	c->tap = toy_tap_start(test);
	toy_kunit_mib_read(toy_kunit_tn(), &c->mib);

	sock = toy_test_socket(test);
	if (rcvbuf)
		KUNIT_ASSERT_EQ(test, sock_setsockopt(sock, SOL_SOCKET,
						      SO_RCVBUF,
						      KERNEL_SOCKPTR(&rcvbuf),
						      sizeof(rcvbuf)), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(sock, LO, SELF), 0);

	if (side == TOY_SIDE_CLIENT) {
		c->sock = sock;
		KUNIT_ASSERT_EQ(test, kernel_connect(sock, (struct sockaddr *)&sa,
						     sizeof(sa), O_NONBLOCK),
				-EINPROGRESS);
		toy_assert_state(test, sock, TOY_SYN_SENT);
		KUNIT_ASSERT_TRUE(test, toy_conn_pop(c, &seg));
		KUNIT_EXPECT_TRUE(test, seg.valid);
		KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)TOY_F_SYN);
		KUNIT_EXPECT_EQ(test, seg.dport, (unsigned int)PEER);
		KUNIT_EXPECT_EQ(test, seg.len, 0U);
		c->isn = seg.seq;
		c->syn_when = seg.when;
		c->snd_una = c->isn;
		c->snd_nxt = c->isn + 1;
		c->rexmit_ok = true;	/* the SYN is in flight */
		return;
	}

	c->listener = sock;
	KUNIT_ASSERT_EQ(test, kernel_listen(sock, 8), 0);
	KUNIT_ASSERT_EQ(test, toy_conn_send(c, TOY_F_SYN, PEER_ISN, 0, 0),
			NET_RX_SUCCESS);
	KUNIT_ASSERT_TRUE(test, toy_conn_pop(c, &seg));
	KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)(TOY_F_SYN | TOY_F_ACK));
	KUNIT_EXPECT_EQ(test, seg.ack, PEER_ISN + 1);
	c->isn = seg.seq;
	c->adv = seg.window;
	KUNIT_ASSERT_EQ(test, toy_conn_send(c, TOY_F_ACK, PEER_ISN + 1,
					    c->isn + 1, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(c);
	KUNIT_ASSERT_EQ(test, toy_test_accept(test, sock, &c->sock), 0);
	toy_assert_state(test, c->sock, TOY_ESTABLISHED);
	c->snd_una = c->isn + 1;
	c->snd_nxt = c->isn + 1;
}

/* A client answers the peer's SYN+ACK and is connected; a child already is. */
static void toy_conn_establish(struct toy_conn *c)
{
	struct sockaddr_toy sa = toy_kunit_sa(LO, PEER);
	struct kunit *test = c->test;
	struct toy_seg seg;

	if (c->listener)
		return;
	KUNIT_ASSERT_EQ(test, toy_conn_send(c, TOY_F_SYN | TOY_F_ACK, PEER_ISN,
					    c->isn + 1, 0), NET_RX_SUCCESS);
	c->snd_una = c->isn + 1;
	toy_conn_expect(c, TOY_F_ACK, c->isn + 1, PEER_ISN + 1, &seg);
	c->adv = seg.window;
	c->rexmit_ok = false;
	toy_assert_state(test, c->sock, TOY_ESTABLISHED);
	/* As for TCP, connect() again reports the outcome. */
	KUNIT_EXPECT_EQ(test, kernel_connect(c->sock, (struct sockaddr *)&sa,
					     sizeof(sa), O_NONBLOCK), 0);
}

/* shutdown(SHUT_WR): the FIN goes out. */
static void toy_conn_shutdown(struct toy_conn *c, int state)
{
	KUNIT_ASSERT_EQ(c->test, kernel_sock_shutdown(c->sock, SHUT_WR), 0);
	toy_conn_expect(c, TOY_F_FIN | TOY_F_ACK, c->snd_nxt, c->rcv_nxt,
			NULL);
	c->snd_nxt++;
	c->rexmit_ok = true;	/* the FIN is in flight */
	toy_assert_state(c->test, c->sock, state);
}

/* The peer acknowledges everything the socket sent. */
static void toy_conn_ack_all(struct toy_conn *c, int state)
{
	KUNIT_ASSERT_EQ(c->test, toy_conn_send(c, TOY_F_ACK, c->rcv_nxt,
					       c->snd_nxt, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(c);
	c->snd_una = c->snd_nxt;
	c->rexmit_ok = false;
	toy_assert_state(c->test, c->sock, state);
}

/* The peer sends its FIN (acking only what it acked before). */
static void toy_conn_fin(struct toy_conn *c, int state)
{
	KUNIT_ASSERT_EQ(c->test, toy_conn_send(c, TOY_F_FIN | TOY_F_ACK,
					       c->rcv_nxt, c->snd_una, 0),
			NET_RX_SUCCESS);
	c->rcv_nxt++;
	toy_conn_expect(c, TOY_F_ACK, c->snd_nxt, c->rcv_nxt, NULL);
	toy_assert_state(c->test, c->sock, state);
}

/* Drive a fresh client (toy_conn_start()) to @state by legal transitions. */
static void toy_conn_goto(struct toy_conn *c, int state)
{
	switch (state) {
	case TOY_SYN_SENT:
		break;
	case TOY_ESTABLISHED:
		toy_conn_establish(c);
		break;
	case TOY_FIN_WAIT1:
		toy_conn_goto(c, TOY_ESTABLISHED);
		toy_conn_shutdown(c, TOY_FIN_WAIT1);
		break;
	case TOY_FIN_WAIT2:
		toy_conn_goto(c, TOY_FIN_WAIT1);
		toy_conn_ack_all(c, TOY_FIN_WAIT2);
		break;
	case TOY_CLOSING:
		toy_conn_goto(c, TOY_FIN_WAIT1);
		toy_conn_fin(c, TOY_CLOSING);
		break;
	case TOY_TIME_WAIT:
		toy_conn_goto(c, TOY_FIN_WAIT2);
		toy_conn_fin(c, TOY_TIME_WAIT);
		break;
	case TOY_CLOSE_WAIT:
		toy_conn_goto(c, TOY_ESTABLISHED);
		toy_conn_fin(c, TOY_CLOSE_WAIT);
		break;
	case TOY_LAST_ACK:
		toy_conn_goto(c, TOY_CLOSE_WAIT);
		toy_conn_shutdown(c, TOY_LAST_ACK);
		break;
	case TOY_CLOSE:
		toy_conn_goto(c, TOY_ESTABLISHED);
		KUNIT_ASSERT_EQ(c->test, toy_conn_send(c, TOY_F_RST, c->rcv_nxt,
						       0, 0), NET_RX_SUCCESS);
		toy_conn_expect_none(c);
		toy_assert_state(c->test, c->sock, TOY_CLOSE);
		break;
	default:
		KUNIT_ASSERT_FAILURE(c->test, "cannot drive to state %d", state);
	}
}

/* Wait (bounded) until the socket leaves @state.  Return: jiffies then. */
static unsigned long toy_conn_wait_leave(struct toy_conn *c, int state,
					 unsigned long timeout)
{
	unsigned long end = jiffies + timeout;

	while (toy_state(c->sock) == state && time_before(jiffies, end))
		usleep_range(1000, 2000);
	return jiffies;
}

/* Wait (bounded) for the next frame the socket sends. */
static bool toy_conn_wait(struct toy_conn *c, struct toy_seg *seg,
			  unsigned long timeout)
{
	unsigned long end = jiffies + timeout;

	for (;;) {
		if (toy_conn_pop(c, seg))
			return true;
		if (time_after(jiffies, end))
			return false;
		usleep_range(1000, 2000);
	}
}

/* ---- the state/frame tables --------------------------------------------- */

enum toy_frame {
	FR_SYN,			/* SYN, the peer's ISN */
	FR_SYNACK,		/* SYN+ACK of the handshake */
	FR_SYNACK_BADACK,	/* SYN+ACK acking our ISN itself */
	FR_ACK,			/* ACK of everything we sent */
	FR_ACK_DUP,		/* ACK of nothing new */
	FR_ACK_OLD,		/* ACK from before snd_una */
	FR_ACK_UNSENT,		/* ACK of bytes never sent */
	FR_DATA,		/* data at rcv_nxt */
	FR_DATA_OLD,		/* data all before rcv_nxt */
	FR_DATA_GAP,		/* data after a gap */
	FR_DATA_NOACK,		/* data at rcv_nxt without the ACK flag */
	FR_DATA_UNSENT,		/* data at rcv_nxt acking bytes never sent */
	FR_DATA_FIN,		/* data and FIN at rcv_nxt */
	FR_FIN,			/* FIN at rcv_nxt */
	FR_FIN_ACK,		/* FIN at rcv_nxt acking everything we sent */
	FR_FIN_OLD,		/* FIN at rcv_nxt - 1: the peer's FIN again */
	FR_FIN_GAP,		/* FIN after a gap */
	FR_RST,			/* RST at rcv_nxt */
	FR_RST_ACK,		/* RST+ACK at rcv_nxt, acking snd_nxt */
	FR_RST_BADACK,		/* RST+ACK acking our ISN itself */
	FR_RST_INWIN,		/* RST inside the window, not at rcv_nxt */
	FR_RST_OLD,		/* RST at rcv_nxt - 1 */
	FR_RST_FAR,		/* RST far beyond the window */
	FR_BARE,		/* no flags at all */
};

static const char *const toy_frame_names[] = {
	[FR_SYN]		= "SYN",
	[FR_SYNACK]		= "SYN+ACK",
	[FR_SYNACK_BADACK]	= "SYN+ACK, bad ack",
	[FR_ACK]		= "ACK of all",
	[FR_ACK_DUP]		= "duplicate ACK",
	[FR_ACK_OLD]		= "old ACK",
	[FR_ACK_UNSENT]		= "ACK of unsent",
	[FR_DATA]		= "data",
	[FR_DATA_OLD]		= "old data",
	[FR_DATA_GAP]		= "data after a gap",
	[FR_DATA_NOACK]		= "data without ACK",
	[FR_DATA_UNSENT]	= "data acking unsent",
	[FR_DATA_FIN]		= "data+FIN",
	[FR_FIN]		= "FIN",
	[FR_FIN_ACK]		= "FIN+ACK of all",
	[FR_FIN_OLD]		= "old FIN",
	[FR_FIN_GAP]		= "FIN after a gap",
	[FR_RST]		= "RST",
	[FR_RST_ACK]		= "RST+ACK",
	[FR_RST_BADACK]		= "RST+ACK, bad ack",
	[FR_RST_INWIN]		= "RST in the window",
	[FR_RST_OLD]		= "RST before the window",
	[FR_RST_FAR]		= "RST far beyond",
	[FR_BARE]		= "no flags",
};

static struct toy_frm toy_frame_build(const struct toy_conn *c,
				      enum toy_frame f)
{
	const u32 n = c->rcv_nxt, s = c->snd_nxt, u = c->snd_una;

	switch (f) {
	case FR_SYN:
		return (struct toy_frm){ TOY_F_SYN, PEER_ISN, 0, 0 };
	case FR_SYNACK:
		return (struct toy_frm){ TOY_F_SYN | TOY_F_ACK, PEER_ISN,
					 c->isn + 1, 0 };
	case FR_SYNACK_BADACK:
		return (struct toy_frm){ TOY_F_SYN | TOY_F_ACK, PEER_ISN,
					 c->isn, 0 };
	case FR_ACK:
		return (struct toy_frm){ TOY_F_ACK, n, s, 0 };
	case FR_ACK_DUP:
		return (struct toy_frm){ TOY_F_ACK, n, u, 0 };
	case FR_ACK_OLD:
		return (struct toy_frm){ TOY_F_ACK, n, u - 1, 0 };
	case FR_ACK_UNSENT:
		return (struct toy_frm){ TOY_F_ACK, n, s + 1000, 0 };
	case FR_DATA:
		return (struct toy_frm){ TOY_F_DATA | TOY_F_ACK, n, u,
					 DATA_LEN };
	case FR_DATA_OLD:
		return (struct toy_frm){ TOY_F_DATA | TOY_F_ACK, n - DATA_LEN,
					 u, DATA_LEN };
	case FR_DATA_GAP:
		return (struct toy_frm){ TOY_F_DATA | TOY_F_ACK, n + DATA_LEN,
					 u, DATA_LEN };
	case FR_DATA_NOACK:
		return (struct toy_frm){ TOY_F_DATA, n, 0, DATA_LEN };
	case FR_DATA_UNSENT:
		return (struct toy_frm){ TOY_F_DATA | TOY_F_ACK, n, s + 1000,
					 DATA_LEN };
	case FR_DATA_FIN:
		return (struct toy_frm){ TOY_F_DATA | TOY_F_FIN | TOY_F_ACK, n,
					 u, DATA_LEN };
	case FR_FIN:
		return (struct toy_frm){ TOY_F_FIN | TOY_F_ACK, n, u, 0 };
	case FR_FIN_ACK:
		return (struct toy_frm){ TOY_F_FIN | TOY_F_ACK, n, s, 0 };
	case FR_FIN_OLD:
		return (struct toy_frm){ TOY_F_FIN | TOY_F_ACK, n - 1, u, 0 };
	case FR_FIN_GAP:
		return (struct toy_frm){ TOY_F_FIN | TOY_F_ACK, n + DATA_LEN,
					 u, 0 };
	case FR_RST:
		return (struct toy_frm){ TOY_F_RST, n, 0, 0 };
	case FR_RST_ACK:
		return (struct toy_frm){ TOY_F_RST | TOY_F_ACK, n, s, 0 };
	case FR_RST_BADACK:
		return (struct toy_frm){ TOY_F_RST | TOY_F_ACK, n, c->isn, 0 };
	case FR_RST_INWIN:
		return (struct toy_frm){ TOY_F_RST, n + 1, 0, 0 };
	case FR_RST_OLD:
		return (struct toy_frm){ TOY_F_RST, n - 1, 0, 0 };
	case FR_RST_FAR:
		return (struct toy_frm){ TOY_F_RST, n + 0x40000000, 0, 0 };
	case FR_BARE:
		return (struct toy_frm){ 0, n, 0, 0 };
	}
	return (struct toy_frm){};
}

enum toy_reply {
	R_NONE,		/* silence */
	R_ACK,		/* ACK: seq snd_nxt, ack rcv_nxt + adv */
	R_RST,		/* RST+ACK as for a frame nobody wants: seq = its ack,
			 * ack = its seq + length (+1 for SYN, FIN)
			 */
	R_SYNACK,	/* the listener's SYN+ACK: seq cookie, ack seq + 1 */
	R_ACK_OR_NONE,	/* where TCP allows both: an ACK as R_ACK, or silence */
};

static const char *const toy_reply_names[] = {
	[R_NONE]	= "nothing",
	[R_ACK]		= "ACK",
	[R_RST]		= "RST",
	[R_SYNACK]	= "SYN+ACK",
	[R_ACK_OR_NONE]	= "ACK or nothing",
};

/* The socket must have answered @f with @reply, and nothing else. */
static void toy_conn_expect_reply(struct toy_conn *c, enum toy_reply reply,
				  const struct toy_frm *f, unsigned int adv)
{
	struct toy_seg seg;

	switch (reply) {
	case R_NONE:
		break;
	case R_ACK:
		toy_conn_expect(c, TOY_F_ACK, c->snd_nxt, c->rcv_nxt + adv,
				NULL);
		break;
	case R_RST:
		toy_conn_expect(c, TOY_F_RST | TOY_F_ACK, f->ack,
				f->seq + f->len + !!(f->flags & TOY_F_SYN) +
				!!(f->flags & TOY_F_FIN), NULL);
		break;
	case R_SYNACK:
		toy_conn_expect(c, TOY_F_SYN | TOY_F_ACK, c->isn, f->seq + 1,
				NULL);
		break;
	case R_ACK_OR_NONE:
		if (!toy_conn_pop(c, &seg))
			break;
		KUNIT_EXPECT_EQ(c->test, seg.flags, (unsigned int)TOY_F_ACK);
		KUNIT_EXPECT_EQ(c->test, seg.seq, c->snd_nxt);
		KUNIT_EXPECT_EQ(c->test, seg.ack, c->rcv_nxt + adv);
		break;
	}
	toy_conn_expect_none(c);
}

/**
 * struct toy_row - one frame in one state of a client
 * @state: where the socket is when the frame arrives
 * @frame: the frame
 * @to: the state it must be in afterwards
 * @reply: what it must answer
 * @adv: how far the frame moves rcv_nxt (payload taken, FIN)
 * @queued: bytes the reader can read afterwards
 * @err: sk_err afterwards (positive)
 * @noports: counted in NoPorts (nobody took it)
 */
struct toy_row {
	u8		state;
	u8		frame;
	u8		to;
	u8		reply;
	u8		adv;
	u8		queued;
	u8		err;
	bool		noports;
};

#define ROW(st, fr, t, rep, ...)					\
	{ .state = TOY_##st, .frame = FR_##fr, .to = TOY_##t,		\
	  .reply = R_##rep, __VA_ARGS__ }
#define QUEUED		.adv = DATA_LEN, .queued = DATA_LEN
#define FIN_TAKEN	.adv = 1
#define QUEUED_FIN	.adv = DATA_LEN + 1, .queued = DATA_LEN

/*
 * Every state a connection passes through, every kind of frame.  The
 * frames that only TCP's rules decide are in toy_tcp_rows.
 */
static const struct toy_row toy_rows[] = {
	/* SYN_SENT: only SYN+ACK or RST+ACK acking our SYN count */
	ROW(SYN_SENT, SYNACK, ESTABLISHED, ACK),
	ROW(SYN_SENT, SYNACK_BADACK, SYN_SENT, NONE),
	ROW(SYN_SENT, SYN, SYN_SENT, NONE),	/* no simultaneous open */
	ROW(SYN_SENT, ACK, SYN_SENT, NONE),
	ROW(SYN_SENT, ACK_DUP, SYN_SENT, NONE),
	ROW(SYN_SENT, DATA, SYN_SENT, NONE),
	ROW(SYN_SENT, FIN, SYN_SENT, NONE),
	ROW(SYN_SENT, RST, SYN_SENT, NONE),
	ROW(SYN_SENT, RST_ACK, CLOSE, NONE, .err = ECONNREFUSED),
	ROW(SYN_SENT, RST_BADACK, SYN_SENT, NONE),
	ROW(SYN_SENT, BARE, SYN_SENT, NONE),

	ROW(ESTABLISHED, SYNACK, ESTABLISHED, ACK),	/* our ACK was lost */
	ROW(ESTABLISHED, ACK, ESTABLISHED, NONE),
	ROW(ESTABLISHED, ACK_DUP, ESTABLISHED, NONE),
	ROW(ESTABLISHED, ACK_OLD, ESTABLISHED, NONE),
	ROW(ESTABLISHED, ACK_UNSENT, ESTABLISHED, NONE),
	ROW(ESTABLISHED, DATA, ESTABLISHED, ACK, QUEUED),
	ROW(ESTABLISHED, DATA_OLD, ESTABLISHED, ACK),
	ROW(ESTABLISHED, DATA_GAP, ESTABLISHED, ACK),
	ROW(ESTABLISHED, DATA_NOACK, ESTABLISHED, NONE),
	ROW(ESTABLISHED, DATA_FIN, CLOSE_WAIT, ACK, QUEUED_FIN),
	ROW(ESTABLISHED, FIN, CLOSE_WAIT, ACK, FIN_TAKEN),
	ROW(ESTABLISHED, FIN_OLD, ESTABLISHED, ACK),
	ROW(ESTABLISHED, FIN_GAP, ESTABLISHED, ACK),
	ROW(ESTABLISHED, RST, CLOSE, NONE, .err = ECONNRESET),
	ROW(ESTABLISHED, RST_ACK, CLOSE, NONE, .err = ECONNRESET),
	ROW(ESTABLISHED, RST_INWIN, CLOSE, NONE, .err = ECONNRESET),
	ROW(ESTABLISHED, RST_OLD, ESTABLISHED, NONE),
	ROW(ESTABLISHED, RST_FAR, ESTABLISHED, NONE),
	ROW(ESTABLISHED, BARE, ESTABLISHED, NONE),

	/* FIN_WAIT1: our FIN is in flight; we still receive */
	ROW(FIN_WAIT1, SYNACK, FIN_WAIT1, ACK),
	ROW(FIN_WAIT1, ACK, FIN_WAIT2, NONE),
	ROW(FIN_WAIT1, ACK_DUP, FIN_WAIT1, NONE),
	ROW(FIN_WAIT1, ACK_OLD, FIN_WAIT1, NONE),
	ROW(FIN_WAIT1, ACK_UNSENT, FIN_WAIT1, NONE),
	ROW(FIN_WAIT1, DATA, FIN_WAIT1, ACK, QUEUED),
	ROW(FIN_WAIT1, DATA_OLD, FIN_WAIT1, ACK),
	ROW(FIN_WAIT1, DATA_GAP, FIN_WAIT1, ACK),
	ROW(FIN_WAIT1, DATA_NOACK, FIN_WAIT1, NONE),
	ROW(FIN_WAIT1, DATA_FIN, CLOSING, ACK, QUEUED_FIN),
	ROW(FIN_WAIT1, FIN, CLOSING, ACK, FIN_TAKEN),
	ROW(FIN_WAIT1, FIN_ACK, TIME_WAIT, ACK, FIN_TAKEN),
	ROW(FIN_WAIT1, FIN_OLD, FIN_WAIT1, ACK),
	ROW(FIN_WAIT1, FIN_GAP, FIN_WAIT1, ACK),
	ROW(FIN_WAIT1, RST, CLOSE, NONE, .err = ECONNRESET),
	ROW(FIN_WAIT1, RST_ACK, CLOSE, NONE, .err = ECONNRESET),
	ROW(FIN_WAIT1, RST_INWIN, CLOSE, NONE, .err = ECONNRESET),
	ROW(FIN_WAIT1, RST_OLD, FIN_WAIT1, NONE),
	ROW(FIN_WAIT1, RST_FAR, FIN_WAIT1, NONE),
	ROW(FIN_WAIT1, BARE, FIN_WAIT1, NONE),

	/* FIN_WAIT2: our FIN is acked; we still receive */
	ROW(FIN_WAIT2, SYNACK, FIN_WAIT2, ACK),
	ROW(FIN_WAIT2, ACK, FIN_WAIT2, NONE),
	ROW(FIN_WAIT2, ACK_OLD, FIN_WAIT2, NONE),
	ROW(FIN_WAIT2, ACK_UNSENT, FIN_WAIT2, NONE),
	ROW(FIN_WAIT2, DATA, FIN_WAIT2, ACK, QUEUED),
	ROW(FIN_WAIT2, DATA_OLD, FIN_WAIT2, ACK),
	ROW(FIN_WAIT2, DATA_GAP, FIN_WAIT2, ACK),
	ROW(FIN_WAIT2, DATA_NOACK, FIN_WAIT2, NONE),
	ROW(FIN_WAIT2, DATA_FIN, TIME_WAIT, ACK, QUEUED_FIN),
	ROW(FIN_WAIT2, FIN, TIME_WAIT, ACK, FIN_TAKEN),
	ROW(FIN_WAIT2, FIN_OLD, FIN_WAIT2, ACK),
	ROW(FIN_WAIT2, FIN_GAP, FIN_WAIT2, ACK),
	ROW(FIN_WAIT2, RST, CLOSE, NONE, .err = ECONNRESET),
	ROW(FIN_WAIT2, RST_ACK, CLOSE, NONE, .err = ECONNRESET),
	ROW(FIN_WAIT2, RST_INWIN, CLOSE, NONE, .err = ECONNRESET),
	ROW(FIN_WAIT2, RST_OLD, FIN_WAIT2, NONE),
	ROW(FIN_WAIT2, RST_FAR, FIN_WAIT2, NONE),
	ROW(FIN_WAIT2, BARE, FIN_WAIT2, NONE),

	/* CLOSING: both FINs sent, ours not acked; nothing more to receive */
	ROW(CLOSING, SYNACK, CLOSING, ACK),
	ROW(CLOSING, ACK, TIME_WAIT, NONE),
	ROW(CLOSING, ACK_DUP, CLOSING, NONE),
	ROW(CLOSING, ACK_OLD, CLOSING, NONE),
	ROW(CLOSING, ACK_UNSENT, CLOSING, NONE),
	ROW(CLOSING, DATA, CLOSING, NONE),	/* after the peer's FIN */
	ROW(CLOSING, DATA_OLD, CLOSING, ACK),
	ROW(CLOSING, DATA_GAP, CLOSING, ACK),
	ROW(CLOSING, DATA_NOACK, CLOSING, NONE),
	ROW(CLOSING, FIN_OLD, CLOSING, ACK),
	ROW(CLOSING, FIN_GAP, CLOSING, ACK),
	ROW(CLOSING, RST, CLOSE, NONE, .err = ECONNRESET),
	ROW(CLOSING, RST_ACK, CLOSE, NONE, .err = ECONNRESET),
	ROW(CLOSING, RST_INWIN, CLOSE, NONE, .err = ECONNRESET),
	ROW(CLOSING, RST_OLD, CLOSING, NONE),
	ROW(CLOSING, RST_FAR, CLOSING, NONE),
	ROW(CLOSING, BARE, CLOSING, NONE),

	/* TIME_WAIT: only a FIN again (our last ACK was lost) is answered */
	ROW(TIME_WAIT, SYNACK, TIME_WAIT, ACK),
	ROW(TIME_WAIT, ACK, TIME_WAIT, NONE),
	ROW(TIME_WAIT, ACK_OLD, TIME_WAIT, NONE),
	ROW(TIME_WAIT, ACK_UNSENT, TIME_WAIT, NONE),
	ROW(TIME_WAIT, DATA, TIME_WAIT, NONE),
	ROW(TIME_WAIT, DATA_OLD, TIME_WAIT, NONE),
	ROW(TIME_WAIT, DATA_GAP, TIME_WAIT, NONE),
	ROW(TIME_WAIT, DATA_NOACK, TIME_WAIT, NONE),
	ROW(TIME_WAIT, FIN_OLD, TIME_WAIT, ACK),
	ROW(TIME_WAIT, FIN_GAP, TIME_WAIT, ACK),
	ROW(TIME_WAIT, RST, CLOSE, NONE),
	ROW(TIME_WAIT, RST_ACK, CLOSE, NONE),
	ROW(TIME_WAIT, RST_INWIN, CLOSE, NONE),
	ROW(TIME_WAIT, RST_OLD, TIME_WAIT, NONE),
	ROW(TIME_WAIT, RST_FAR, TIME_WAIT, NONE),
	ROW(TIME_WAIT, BARE, TIME_WAIT, NONE),

	/* CLOSE_WAIT: the peer's FIN is in; we may still send */
	ROW(CLOSE_WAIT, SYNACK, CLOSE_WAIT, ACK),
	ROW(CLOSE_WAIT, ACK, CLOSE_WAIT, NONE),
	ROW(CLOSE_WAIT, ACK_OLD, CLOSE_WAIT, NONE),
	ROW(CLOSE_WAIT, ACK_UNSENT, CLOSE_WAIT, NONE),
	ROW(CLOSE_WAIT, DATA, CLOSE_WAIT, NONE),	/* after the FIN */
	ROW(CLOSE_WAIT, DATA_OLD, CLOSE_WAIT, ACK),
	ROW(CLOSE_WAIT, DATA_GAP, CLOSE_WAIT, ACK),
	ROW(CLOSE_WAIT, DATA_NOACK, CLOSE_WAIT, NONE),
	ROW(CLOSE_WAIT, FIN_OLD, CLOSE_WAIT, ACK),
	ROW(CLOSE_WAIT, FIN_GAP, CLOSE_WAIT, ACK),
	ROW(CLOSE_WAIT, RST, CLOSE, NONE, .err = EPIPE),
	ROW(CLOSE_WAIT, RST_ACK, CLOSE, NONE, .err = EPIPE),
	ROW(CLOSE_WAIT, RST_INWIN, CLOSE, NONE, .err = EPIPE),
	ROW(CLOSE_WAIT, RST_OLD, CLOSE_WAIT, NONE),
	ROW(CLOSE_WAIT, RST_FAR, CLOSE_WAIT, NONE),
	ROW(CLOSE_WAIT, BARE, CLOSE_WAIT, NONE),

	/* LAST_ACK: our FIN is in flight after the peer's */
	ROW(LAST_ACK, SYNACK, LAST_ACK, ACK),
	ROW(LAST_ACK, ACK, CLOSE, NONE),
	ROW(LAST_ACK, ACK_DUP, LAST_ACK, NONE),
	ROW(LAST_ACK, ACK_OLD, LAST_ACK, NONE),
	ROW(LAST_ACK, ACK_UNSENT, LAST_ACK, NONE),
	ROW(LAST_ACK, DATA, LAST_ACK, NONE),
	ROW(LAST_ACK, DATA_OLD, LAST_ACK, ACK),
	ROW(LAST_ACK, DATA_GAP, LAST_ACK, ACK),
	ROW(LAST_ACK, DATA_NOACK, LAST_ACK, NONE),
	ROW(LAST_ACK, FIN_OLD, LAST_ACK, ACK),
	ROW(LAST_ACK, FIN_GAP, LAST_ACK, ACK),
	ROW(LAST_ACK, RST, CLOSE, NONE, .err = ECONNRESET),
	ROW(LAST_ACK, RST_ACK, CLOSE, NONE, .err = ECONNRESET),
	ROW(LAST_ACK, RST_INWIN, CLOSE, NONE, .err = ECONNRESET),
	ROW(LAST_ACK, RST_OLD, LAST_ACK, NONE),
	ROW(LAST_ACK, RST_FAR, LAST_ACK, NONE),
	ROW(LAST_ACK, BARE, LAST_ACK, NONE),

	/* CLOSE after a reset, port still bound: nobody's; the stack resets */
	ROW(CLOSE, SYN, CLOSE, RST, .err = ECONNRESET, .noports = true),
	ROW(CLOSE, SYNACK, CLOSE, RST, .err = ECONNRESET,
	    .noports = true),
	ROW(CLOSE, ACK, CLOSE, RST, .err = ECONNRESET, .noports = true),
	ROW(CLOSE, DATA, CLOSE, RST, .err = ECONNRESET,
	    .noports = true),
	ROW(CLOSE, FIN, CLOSE, RST, .err = ECONNRESET, .noports = true),
	ROW(CLOSE, RST, CLOSE, NONE, .err = ECONNRESET,
	    .noports = true),
	ROW(CLOSE, BARE, CLOSE, RST, .err = ECONNRESET,
	    .noports = true),
};

/*
 * TCP's rules where toy_stream.c says nothing.  RFC 9293 3.10.7.4 (and
 * RFC 5961 4): a SYN in a synchronized state is answered with a
 * "challenge" ACK, never silently dropped and never allowed to reset the
 * connection.  RFC 9293 3.10.7.4: a segment whose ACK acknowledges
 * something not yet sent is dropped (with an ACK; Linux sends none),
 * including its payload.
 */
static const struct toy_row toy_tcp_rows[] = {
	ROW(ESTABLISHED, SYN, ESTABLISHED, ACK),
	ROW(FIN_WAIT1, SYN, FIN_WAIT1, ACK),
	ROW(FIN_WAIT2, SYN, FIN_WAIT2, ACK),
	ROW(CLOSING, SYN, CLOSING, ACK),
	ROW(CLOSE_WAIT, SYN, CLOSE_WAIT, ACK),
	ROW(LAST_ACK, SYN, LAST_ACK, ACK),
	ROW(ESTABLISHED, DATA_UNSENT, ESTABLISHED, ACK_OR_NONE),
	ROW(FIN_WAIT1, DATA_UNSENT, FIN_WAIT1, ACK_OR_NONE),
	ROW(FIN_WAIT2, DATA_UNSENT, FIN_WAIT2, ACK_OR_NONE),
};

static void toy_row_desc(const struct toy_row *r, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s: %s -> %s, %s",
		 toy_state_name(r->state), toy_frame_names[r->frame],
		 toy_state_name(r->to), toy_reply_names[r->reply]);
}

KUNIT_ARRAY_PARAM(toy_rows, toy_rows, toy_row_desc);
KUNIT_ARRAY_PARAM(toy_tcp_rows, toy_tcp_rows, toy_row_desc);

static void toy_stream_run_row(struct kunit *test, const struct toy_row *r)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_conn c;
	struct toy_snap s;
	struct toy_frm f;
	int drops, ret;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_goto(&c, r->state);
	f = toy_frame_build(&c, r->frame);

	drops = atomic_read(&c.sock->sk->sk_drops);
	toy_kunit_mib_read(toy_kunit_tn(), &before);
	ret = toy_conn_inject(&c, &f);
	KUNIT_EXPECT_EQ(test, ret, r->state == TOY_CLOSE ? NET_RX_DROP :
			NET_RX_SUCCESS);
	toy_expect_state(test, c.sock, r->to);
	toy_conn_expect_reply(&c, r->reply, &f, r->adv);

	toy_snap(c.sock, &s);
	if (r->state != TOY_SYN_SENT)
		KUNIT_EXPECT_EQ(test, s.rcv_nxt, c.rcv_nxt + r->adv);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), (unsigned int)r->queued);
	KUNIT_EXPECT_EQ(test, s.err, (int)r->err);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.sock->sk->sk_drops), drops);
	delta.v[TOY_MIB_NOPORTS] = r->noports;
	toy_conn_expect_mib(&c, &before, &delta);

	if (r->queued) {
		u8 buf[DATA_LEN + 1];

		KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)),
				(int)r->queued);
		toy_expect_bytes(test, buf, f.seq, r->queued);
	}
}

/* Every kind of frame in every state (toy_rows). */
static void toy_stream_frame_in_state(struct kunit *test)
{
	toy_stream_run_row(test, test->param_value);
}

/* Frames where only TCP's rules decide (toy_tcp_rows). */
static void toy_stream_tcp_rules(struct kunit *test)
{
	toy_stream_run_row(test, test->param_value);
}

/* ---- LISTEN -------------------------------------------------------------- */

enum toy_lframe {
	LF_SYN,		/* the same SYN again */
	LF_SYNACK,	/* SYN+ACK */
	LF_ACK,		/* ACK echoing the cookie */
	LF_ACK_BAD,	/* ACK with a wrong cookie */
	LF_DATA,	/* data, echoing the cookie */
	LF_DATA_BAD,	/* data, wrong cookie */
	LF_DATA_NOACK,	/* data without the ACK flag */
	LF_FIN,		/* FIN, echoing the cookie */
	LF_FIN_BAD,	/* FIN, wrong cookie */
	LF_RST,		/* RST */
	LF_RST_ACK,	/* RST+ACK echoing the cookie */
	LF_BARE,	/* no flags */
};

/**
 * struct toy_lrow - one frame to a listener
 * @frame: the frame (after a SYN that was answered)
 * @name: description
 * @reply: what the listener (or the new child) answers
 * @child: the state of the child created, or TOY_CLOSE for none
 * @queued: bytes the child has for its reader
 */
struct toy_lrow {
	u8		frame;
	const char	*name;
	u8		reply;
	u8		child;
	u8		queued;
};

static const struct toy_lrow toy_lrows[] = {
	{ LF_SYN, "SYN again -> same SYN+ACK", R_SYNACK, TOY_CLOSE },
	{ LF_SYNACK, "SYN+ACK -> RST", R_RST, TOY_CLOSE },
	{ LF_ACK, "ACK echoing the cookie -> child", R_NONE,
	  TOY_ESTABLISHED },
	{ LF_ACK_BAD, "ACK, wrong cookie -> RST", R_RST, TOY_CLOSE },
	{ LF_DATA, "data echoing the cookie -> child with data", R_ACK,
	  TOY_ESTABLISHED, DATA_LEN },
	{ LF_DATA_BAD, "data, wrong cookie -> RST", R_RST, TOY_CLOSE },
	{ LF_DATA_NOACK, "data without ACK -> RST", R_RST, TOY_CLOSE },
	{ LF_FIN, "FIN echoing the cookie -> child in CLOSE_WAIT", R_ACK,
	  TOY_CLOSE_WAIT },
	{ LF_FIN_BAD, "FIN, wrong cookie -> RST", R_RST, TOY_CLOSE },
	{ LF_RST, "RST -> ignored", R_NONE, TOY_CLOSE },
	{ LF_RST_ACK, "RST+ACK echoing the cookie -> ignored", R_NONE,
	  TOY_CLOSE },
	{ LF_BARE, "no flags -> RST", R_RST, TOY_CLOSE },
};

static void toy_lrow_desc(const struct toy_lrow *r, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "LISTEN: %s", r->name);
}

KUNIT_ARRAY_PARAM(toy_lrows, toy_lrows, toy_lrow_desc);

static struct toy_frm toy_lframe_build(u32 cookie, enum toy_lframe f)
{
	const u32 seq = PEER_ISN + 1;

	switch (f) {
	case LF_SYN:
		return (struct toy_frm){ TOY_F_SYN, PEER_ISN, 0, 0 };
	case LF_SYNACK:
		return (struct toy_frm){ TOY_F_SYN | TOY_F_ACK, PEER_ISN,
					 cookie + 1, 0 };
	case LF_ACK:
		return (struct toy_frm){ TOY_F_ACK, seq, cookie + 1, 0 };
	case LF_ACK_BAD:
		return (struct toy_frm){ TOY_F_ACK, seq, cookie + 2, 0 };
	case LF_DATA:
		return (struct toy_frm){ TOY_F_DATA | TOY_F_ACK, seq,
					 cookie + 1, DATA_LEN };
	case LF_DATA_BAD:
		return (struct toy_frm){ TOY_F_DATA | TOY_F_ACK, seq, cookie,
					 DATA_LEN };
	case LF_DATA_NOACK:
		return (struct toy_frm){ TOY_F_DATA, seq, 0, DATA_LEN };
	case LF_FIN:
		return (struct toy_frm){ TOY_F_FIN | TOY_F_ACK, seq,
					 cookie + 1, 0 };
	case LF_FIN_BAD:
		return (struct toy_frm){ TOY_F_FIN | TOY_F_ACK, seq,
					 cookie + 3, 0 };
	case LF_RST:
		return (struct toy_frm){ TOY_F_RST, seq, 0, 0 };
	case LF_RST_ACK:
		return (struct toy_frm){ TOY_F_RST | TOY_F_ACK, seq,
					 cookie + 1, 0 };
	case LF_BARE:
		return (struct toy_frm){ 0, seq, 0, 0 };
	}
	return (struct toy_frm){};
}

/* A listener on SELF; @peer (a blackhole) plays the client. */
static void toy_listen_start(struct kunit *test, struct toy_conn *c,
			     int backlog)
{
	memset(c, 0, sizeof(*c));
	c->test = test;
	c->port = SELF;
	c->peer = PEER;
	c->window = PEER_WIN;
	c->rcv_nxt = PEER_ISN + 1;
	toy_test_blackhole(test, PEER);
	c->tap = toy_tap_start(test);
	c->listener = toy_test_socket(test);
	c->sock = c->listener;
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(c->listener, LO, SELF), 0);
	KUNIT_ASSERT_EQ(test, kernel_listen(c->listener, backlog), 0);
	toy_assert_state(test, c->listener, TOY_LISTEN);
}

/*
 * The client's SYN: answered with SYN+ACK, ack = seq + 1, and no state is
 * kept.  Return: the cookie (the SYN+ACK's seq).
 */
static u32 toy_listen_syn(struct toy_conn *c)
{
	struct kunit *test = c->test;
	struct toy_seg seg;

	KUNIT_ASSERT_EQ(test, toy_conn_send(c, TOY_F_SYN, PEER_ISN, 0, 0),
			NET_RX_SUCCESS);
	KUNIT_ASSERT_TRUE_MSG(test, toy_conn_pop(c, &seg), "no SYN+ACK");
	KUNIT_EXPECT_TRUE(test, seg.valid);
	KUNIT_EXPECT_EQ(test, seg.dport, (unsigned int)c->peer);
	KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)(TOY_F_SYN | TOY_F_ACK));
	KUNIT_EXPECT_EQ(test, seg.ack, PEER_ISN + 1);
	KUNIT_EXPECT_GT(test, seg.window, 0U);
	KUNIT_EXPECT_EQ(test, seg.len, 0U);
	toy_conn_expect_none(c);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(c->listener->sk->sk_ack_backlog),
			0);
	return seg.seq;
}

/* Every kind of frame to a listener, after the client's SYN (toy_lrows). */
static void toy_stream_listen_frame(struct kunit *test)
{
	const struct toy_lrow *r = test->param_value;
	struct toy_kunit_mib before, delta = {};
	struct socket *child = NULL;
	struct toy_conn c;
	struct toy_frm f;
	int err;

	toy_listen_start(test, &c, 8);
	c.isn = toy_listen_syn(&c);
	/* A child's first sequence number is the cookie + 1. */
	c.snd_nxt = c.isn + 1;
	f = toy_lframe_build(c.isn, r->frame);

	toy_kunit_mib_read(toy_kunit_tn(), &before);
	KUNIT_EXPECT_EQ(test, toy_conn_inject(&c, &f), NET_RX_SUCCESS);
	toy_conn_expect_reply(&c, r->reply, &f,
			      r->queued + (r->child == TOY_CLOSE_WAIT));
	toy_expect_state(test, c.listener, TOY_LISTEN);
	if (r->child != TOY_CLOSE)
		delta.v[TOY_MIB_PASSIVEOPENS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);

	err = toy_test_accept(test, c.listener, &child);
	if (r->child == TOY_CLOSE) {
		KUNIT_EXPECT_EQ(test, err, -EAGAIN);
		return;
	}
	KUNIT_ASSERT_EQ(test, err, 0);
	toy_expect_state(test, child, r->child);
	c.sock = child;
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), (unsigned int)r->queued);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(c.listener->sk->sk_ack_backlog),
			0);
}

/*
 * The handshake through a listener: the ACK echoing the cookie makes a
 * child in ESTABLISHED with the right sequence numbers and addresses, on
 * the accept queue until accept() takes it.
 */
static void toy_stream_listen_accept(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct sockaddr_toy peer = {}, self = {};
	struct socket *child;
	struct toy_conn c;
	struct toy_snap s;
	u32 cookie;

	toy_listen_start(test, &c, 8);
	cookie = toy_listen_syn(&c);
	/* Stateless: the same SYN again gets the same answer. */
	KUNIT_EXPECT_EQ(test, toy_listen_syn(&c), cookie);

	toy_kunit_mib_read(toy_kunit_tn(), &before);
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, PEER_ISN + 1,
					    cookie + 1, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	delta.v[TOY_MIB_PASSIVEOPENS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(c.listener->sk->sk_ack_backlog),
			1);

	KUNIT_ASSERT_EQ(test, toy_test_accept(test, c.listener, &child), 0);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(c.listener->sk->sk_ack_backlog),
			0);
	toy_expect_state(test, child, TOY_ESTABLISHED);
	toy_snap(child, &s);
	KUNIT_EXPECT_EQ(test, s.snd_una, cookie + 1);
	KUNIT_EXPECT_EQ(test, s.snd_nxt, cookie + 1);
	KUNIT_EXPECT_EQ(test, s.write_seq, cookie + 1);
	KUNIT_EXPECT_EQ(test, s.rcv_nxt, PEER_ISN + 1);
	KUNIT_EXPECT_EQ(test, s.copied_seq, PEER_ISN + 1);
	KUNIT_EXPECT_EQ(test, s.snd_wnd, (u32)PEER_WIN * TOY_WINDOW_UNIT);
	KUNIT_EXPECT_EQ(test, kernel_getpeername(child, (struct sockaddr *)&peer),
			(int)sizeof(peer));
	KUNIT_EXPECT_EQ(test, ntohs(peer.stoy_port), PEER);
	KUNIT_EXPECT_EQ(test, peer.stoy_addr, htonl(LO));
	KUNIT_EXPECT_EQ(test, kernel_getsockname(child, (struct sockaddr *)&self),
			(int)sizeof(self));
	KUNIT_EXPECT_EQ(test, ntohs(self.stoy_port), SELF);
	KUNIT_EXPECT_EQ(test, self.stoy_addr, htonl(LO));

	/* The listener has nothing more to give. */
	KUNIT_EXPECT_EQ(test, toy_test_accept(test, c.listener, &child),
			-EAGAIN);
	toy_conn_expect_none(&c);
}

/*
 * A full accept queue (backlog 0 allows one) drops SYNs and even a right
 * final ACK without an answer; accept() makes room again.
 */
static void toy_stream_listen_full(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct socket *child;
	struct toy_conn c, c2;
	u32 cookie, cookie2;

	toy_listen_start(test, &c, 0);
	toy_test_blackhole(test, PEER2);
	c2 = c;
	c2.peer = PEER2;
	cookie2 = toy_listen_syn(&c2);

	cookie = toy_listen_syn(&c);
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, PEER_ISN + 1,
					    cookie + 1, 0), NET_RX_SUCCESS);
	KUNIT_ASSERT_EQ(test, (int)READ_ONCE(c.listener->sk->sk_ack_backlog),
			1);

	toy_kunit_mib_read(toy_kunit_tn(), &before);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c2, TOY_F_SYN, PEER_ISN, 0, 0),
			NET_RX_SUCCESS);
	toy_conn_expect_none(&c2);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c2, TOY_F_ACK, PEER_ISN + 1,
					    cookie2 + 1, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(&c2);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(c.listener->sk->sk_ack_backlog),
			1);
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);

	/* Room again: the second client gets through. */
	KUNIT_ASSERT_EQ(test, toy_test_accept(test, c.listener, &child), 0);
	toy_expect_state(test, child, TOY_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, toy_listen_syn(&c2), cookie2);
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c2, TOY_F_ACK, PEER_ISN + 1,
					    cookie2 + 1, 0), NET_RX_SUCCESS);
	KUNIT_ASSERT_EQ(test, toy_test_accept(test, c.listener, &child), 0);
	toy_expect_state(test, child, TOY_ESTABLISHED);
}

/* ---- connections, on both sides ----------------------------------------- */

static const enum toy_side toy_sides[] = { TOY_SIDE_CLIENT, TOY_SIDE_CHILD };

static void toy_side_desc(const enum toy_side *side, char *desc)
{
	strscpy(desc, *side == TOY_SIDE_CLIENT ? "client" : "accepted child",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_sides, toy_sides, toy_side_desc);

static void toy_conn_open(struct kunit *test, struct toy_conn *c, int rcvbuf)
{
	const enum toy_side *side = test->param_value;

	toy_conn_start(test, c, *side, rcvbuf);
	toy_conn_establish(c);
}

/* The handshake: sequence numbers, windows, addresses, counters. */
static void toy_stream_open(struct kunit *test)
{
	const enum toy_side *side = test->param_value;
	struct sockaddr_toy peer = {};
	struct toy_kunit_mib delta = {};
	struct toy_conn c;
	struct toy_snap s;

	toy_conn_open(test, &c, 0);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.snd_una, c.isn + 1);
	KUNIT_EXPECT_EQ(test, s.snd_nxt, c.isn + 1);
	KUNIT_EXPECT_EQ(test, s.write_seq, c.isn + 1);
	KUNIT_EXPECT_EQ(test, s.rcv_nxt, PEER_ISN + 1);
	KUNIT_EXPECT_EQ(test, s.copied_seq, PEER_ISN + 1);
	KUNIT_EXPECT_EQ(test, s.snd_wnd, (u32)PEER_WIN * TOY_WINDOW_UNIT);
	/* The window it advertised is the one it enforces. */
	KUNIT_EXPECT_GT(test, c.adv, 0U);
	KUNIT_EXPECT_EQ(test, s.rcv_edge - s.rcv_nxt,
			(u32)c.adv * TOY_WINDOW_UNIT);
	KUNIT_EXPECT_FALSE(test, s.timer);
	KUNIT_EXPECT_EQ(test, s.err, 0);
	KUNIT_EXPECT_EQ(test, kernel_getpeername(c.sock,
						 (struct sockaddr *)&peer),
			(int)sizeof(peer));
	KUNIT_EXPECT_EQ(test, ntohs(peer.stoy_port), PEER);
	if (*side == TOY_SIDE_CLIENT)
		delta.v[TOY_MIB_ACTIVEOPENS] = 1;
	else
		delta.v[TOY_MIB_PASSIVEOPENS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &c.mib, &delta);
}

/*
 * In-order data is queued and acknowledged with ack = seq + len, across
 * the wrap of the sequence space, and read back intact.
 */
static void toy_stream_data_in_order(struct kunit *test)
{
	static const unsigned int sizes[] = { 500, 700, 300 };
	unsigned int i, total = 0;
	struct toy_conn c;
	u8 *buf;

	toy_conn_open(test, &c, 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		toy_conn_data(&c, sizes[i]);
		total += sizes[i];
		KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), total);
	}
	/* PEER_ISN + 1 + 1500 wrapped past zero. */
	KUNIT_EXPECT_LT(test, c.rcv_nxt, PEER_ISN);

	buf = kunit_kmalloc(test, total + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, total + 1), (int)total);
	toy_expect_bytes(test, buf, PEER_ISN + 1, total);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 0U);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, 1), -EAGAIN);
}

/*
 * A duplicate is re-acknowledged and not queued twice; so is a segment
 * that overlaps what arrived (only the next expected segment is taken).
 */
static void toy_stream_data_duplicate(struct kunit *test)
{
	struct toy_conn c;
	u8 buf[3 * DATA_LEN];
	u32 start;

	toy_conn_open(test, &c, 0);
	start = c.rcv_nxt;
	toy_conn_data(&c, DATA_LEN);

	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK, start,
					    c.snd_una, DATA_LEN),
			NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK,
					    start + DATA_LEN / 2, c.snd_una,
					    DATA_LEN), NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), (unsigned int)DATA_LEN);

	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), DATA_LEN);
	toy_expect_bytes(test, buf, start, DATA_LEN);
}

/*
 * A segment after a gap is dropped and the gap's start acknowledged again
 * (a duplicate ACK); once the gap is filled, the segment is taken when
 * the peer resends it.
 */
static void toy_stream_data_gap(struct kunit *test)
{
	struct toy_conn c;
	u8 buf[3 * DATA_LEN];
	u32 start;

	toy_conn_open(test, &c, 0);
	start = c.rcv_nxt;
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK,
					    start + DATA_LEN, c.snd_una,
					    DATA_LEN), NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, start, NULL);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 0U);

	toy_conn_data(&c, DATA_LEN);
	toy_conn_data(&c, DATA_LEN);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)),
			2 * DATA_LEN);
	toy_expect_bytes(test, buf, start, 2 * DATA_LEN);
}

/*
 * The receive window: what was advertised fits exactly, one byte more is
 * dropped (WindowDrops, sk_drops) and the old edge acknowledged; reading
 * reopens the window, with an update ACK once it has at least doubled
 * (a shut window: always; the memory/payload ratio decides the size).
 */
static void toy_stream_data_window(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_conn c;
	struct toy_seg seg;
	struct toy_snap s;
	unsigned int win, next;
	int drops;
	u32 start;
	u8 *buf;

	toy_conn_open(test, &c, 4096);
	toy_snap(c.sock, &s);
	win = s.rcv_edge - s.rcv_nxt;
	KUNIT_ASSERT_EQ(test, win, c.adv * TOY_WINDOW_UNIT);
	KUNIT_ASSERT_GT(test, win, 0U);
	KUNIT_ASSERT_LT(test, win, (unsigned int)TOY_MAX_PAYLOAD);
	start = c.rcv_nxt;
	drops = atomic_read(&c.sock->sk->sk_drops);

	/* One byte beyond the edge. */
	toy_kunit_mib_read(toy_kunit_tn(), &before);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK, start,
					    c.snd_una, win + 1),
			NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, start, NULL);
	delta.v[TOY_MIB_WINDOWDROPS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.sock->sk->sk_drops), drops + 1);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 0U);

	/* Exactly up to the edge. */
	toy_kunit_mib_read(toy_kunit_tn(), &before);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK, start,
					    c.snd_una, win), NET_RX_SUCCESS);
	c.rcv_nxt += win;
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, &seg);
	memset(&delta, 0, sizeof(delta));
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), win);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.rcv_edge,
			c.rcv_nxt + seg.window * TOY_WINDOW_UNIT);

	/* The window that ACK advertised, plus one byte: dropped too. */
	next = seg.window * TOY_WINDOW_UNIT + 1;
	toy_kunit_mib_read(toy_kunit_tn(), &before);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK,
					    c.rcv_nxt, c.snd_una, next),
			NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	delta.v[TOY_MIB_WINDOWDROPS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), win);

	/* Reading frees the buffer; the window reopens. */
	buf = kunit_kmalloc(test, win + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	next = seg.window;
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, win + 1), (int)win);
	toy_expect_bytes(test, buf, start, win);
	if (toy_conn_pop(&c, &seg)) {
		KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)TOY_F_ACK);
		KUNIT_EXPECT_EQ(test, seg.seq, c.snd_nxt);
		KUNIT_EXPECT_EQ(test, seg.ack, c.rcv_nxt);
		KUNIT_EXPECT_GE(test, seg.window, 2 * next);
		KUNIT_EXPECT_GT(test, seg.window, 0U);
		toy_snap(c.sock, &s);
		KUNIT_EXPECT_EQ(test, s.rcv_edge,
				c.rcv_nxt + seg.window * TOY_WINDOW_UNIT);
	} else {
		KUNIT_EXPECT_NE_MSG(test, next, 0U,
				    "a shut window reopened without an update");
	}
	toy_conn_expect_none(&c);
}

/* The peer's FIN: CLOSE_WAIT, acknowledged; the reader gets EOF. */
static void toy_stream_passive_close(struct kunit *test)
{
	struct toy_conn c;
	struct toy_snap s;
	u8 buf[DATA_LEN];

	toy_conn_open(test, &c, 0);
	toy_conn_data(&c, DATA_LEN);
	toy_conn_fin(&c, TOY_CLOSE_WAIT);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), DATA_LEN);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 0U);

	/* CLOSE_WAIT still sends. */
	toy_conn_write(&c, DATA_LEN, NULL);
	toy_conn_ack_all(&c, TOY_CLOSE_WAIT);

	toy_conn_shutdown(&c, TOY_LAST_ACK);
	toy_conn_ack_all(&c, TOY_CLOSE);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.err, 0);
	KUNIT_EXPECT_FALSE(test, s.timer);
	KUNIT_EXPECT_EQ(test, s.write_queue, 0U);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), 0);
	toy_conn_expect_none(&c);
}

/*
 * Active close: FIN_WAIT1 --ACK--> FIN_WAIT2 --FIN--> TIME_WAIT, where a
 * resent FIN is acknowledged again and restarts the wait, data is ignored,
 * and the timer ends in CLOSE no sooner than TIME_WAIT's length.
 */
static void toy_stream_active_close(struct kunit *test)
{
	unsigned long restart, closed;
	struct toy_conn c;
	struct toy_snap s;
	u8 buf[DATA_LEN];

	toy_conn_open(test, &c, 0);
	toy_conn_shutdown(&c, TOY_FIN_WAIT1);
	toy_conn_ack_all(&c, TOY_FIN_WAIT2);
	/* Half closed: still receives. */
	toy_conn_data(&c, DATA_LEN);
	toy_conn_fin(&c, TOY_TIME_WAIT);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_TRUE(test, s.timer);
	KUNIT_EXPECT_EQ(test, s.write_queue, 0U);

	/* The peer lost our ACK and resends its FIN. */
	restart = jiffies;
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_FIN | TOY_F_ACK,
					    c.rcv_nxt - 1, c.snd_nxt, 0),
			NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK,
					    c.rcv_nxt, c.snd_nxt, DATA_LEN),
			NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	toy_expect_state(test, c.sock, TOY_TIME_WAIT);

	closed = toy_conn_wait_leave(&c, TOY_TIME_WAIT, 10 * TOY_TEST_TIMEWAIT);
	toy_assert_state(test, c.sock, TOY_CLOSE);
	KUNIT_EXPECT_GE_MSG(test, closed - restart,
			    (unsigned long)TOY_TEST_TIMEWAIT,
			    "TIME_WAIT ended after %lu jiffies", closed - restart);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.err, 0);
	KUNIT_EXPECT_FALSE(test, s.timer);
	toy_conn_expect_none(&c);
	/* The data before the FIN is there, then the end of the stream. */
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), DATA_LEN);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), 0);
}

/* Simultaneous close: FIN_WAIT1 --FIN--> CLOSING --ACK--> TIME_WAIT. */
static void toy_stream_simultaneous_close(struct kunit *test)
{
	struct toy_conn c;

	toy_conn_open(test, &c, 0);
	toy_conn_shutdown(&c, TOY_FIN_WAIT1);
	toy_conn_fin(&c, TOY_CLOSING);
	toy_conn_ack_all(&c, TOY_TIME_WAIT);
}

/*
 * A reset in the window: CLOSE, the reader gets ECONNRESET once and then
 * EOF, the writer EPIPE, and what was waiting to be acknowledged is freed.
 */
static void toy_stream_reset(struct kunit *test)
{
	struct toy_conn c;
	struct toy_snap s;
	u8 buf[DATA_LEN];

	toy_conn_open(test, &c, 0);
	toy_conn_write(&c, DATA_LEN, NULL);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_RST, c.rcv_nxt, 0, 0),
			NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	toy_expect_state(test, c.sock, TOY_CLOSE);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.err, ECONNRESET);
	KUNIT_EXPECT_EQ(test, s.wmem_queued, 0);
	KUNIT_EXPECT_EQ(test, s.write_queue, 0U);
	KUNIT_EXPECT_FALSE(test, s.timer);

	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), -ECONNRESET);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, toy_conn_write_raw(&c, buf, sizeof(buf)), -EPIPE);
	toy_conn_expect_none(&c);
}

/*
 * Acknowledgments free the write queue, whole segments only: an ACK into
 * the middle of the first segment frees nothing, one at its end frees it,
 * a full one everything (sk_wmem_queued back to 0, the timer stopped).
 */
static void toy_stream_write_queue(struct kunit *test)
{
	struct toy_conn c;
	struct toy_snap s;
	int queued;

	toy_conn_open(test, &c, 0);
	toy_conn_write(&c, DATA_LEN, NULL);
	toy_conn_write(&c, 2 * DATA_LEN, NULL);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_queue, 2U);
	KUNIT_EXPECT_GT(test, s.wmem_queued, 3 * DATA_LEN);
	KUNIT_EXPECT_EQ(test, s.write_seq - s.snd_una, 3U * DATA_LEN);
	KUNIT_EXPECT_TRUE(test, s.timer);
	queued = s.wmem_queued;

	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_una + DATA_LEN / 2, 0),
			NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_queue, 2U);
	KUNIT_EXPECT_EQ(test, s.wmem_queued, queued);
	KUNIT_EXPECT_EQ(test, s.snd_una, c.snd_una + DATA_LEN / 2);

	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_una + DATA_LEN, 0),
			NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_queue, 1U);
	KUNIT_EXPECT_GT(test, s.wmem_queued, 0);
	KUNIT_EXPECT_LT(test, s.wmem_queued, queued);
	KUNIT_EXPECT_EQ(test, s.snd_una, c.snd_una + DATA_LEN);
	KUNIT_EXPECT_TRUE(test, s.timer);

	toy_conn_ack_all(&c, TOY_ESTABLISHED);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_queue, 0U);
	KUNIT_EXPECT_EQ(test, s.wmem_queued, 0);
	KUNIT_EXPECT_EQ(test, s.snd_una, c.snd_nxt);
	KUNIT_EXPECT_EQ(test, s.write_seq, c.snd_nxt);
	KUNIT_EXPECT_FALSE(test, s.timer);
}

/*
 * Retransmission timeout: with no acknowledgment, the same segment goes
 * out again after the RTO, then again after twice as long (RetransSegs
 * counts each); an ACK stops it all and resets the RTO.
 */
static void toy_stream_rto(struct kunit *test)
{
	struct toy_seg first, seg;
	struct toy_kunit_mib m0, m;
	struct toy_conn c;
	struct toy_snap s;
	unsigned long sent;
	u32 seq;

	toy_conn_open(test, &c, 0);
	toy_kunit_mib_read(toy_kunit_tn(), &m0);
	seq = c.snd_nxt;
	sent = jiffies;
	toy_conn_write(&c, DATA_LEN, &first);
	c.rexmit_ok = false;	/* the resends are what is tested */

	KUNIT_ASSERT_TRUE_MSG(test, toy_conn_wait(&c, &seg, 10 * TOY_TEST_RTO),
			      "no retransmission within %d jiffies",
			      10 * TOY_TEST_RTO);
	KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)(TOY_F_DATA | TOY_F_ACK));
	KUNIT_EXPECT_EQ(test, seg.seq, seq);
	KUNIT_EXPECT_EQ(test, seg.ack, c.rcv_nxt);
	KUNIT_EXPECT_EQ(test, seg.len, (unsigned int)DATA_LEN);
	KUNIT_EXPECT_EQ(test, memcmp(seg.data, first.data, DATA_LEN), 0);
	KUNIT_EXPECT_GE_MSG(test, seg.when - sent, (unsigned long)TOY_TEST_RTO,
			    "resent after %lu jiffies", seg.when - sent);
	toy_kunit_mib_read(toy_kunit_tn(), &m);
	KUNIT_EXPECT_EQ(test, m.v[TOY_MIB_RETRANSSEGS] -
			m0.v[TOY_MIB_RETRANSSEGS], 1UL);
	first.when = seg.when;

	/* Backoff: twice the timeout before the next try. */
	KUNIT_ASSERT_TRUE(test, toy_conn_wait(&c, &seg, 20 * TOY_TEST_RTO));
	KUNIT_EXPECT_EQ(test, seg.seq, seq);
	KUNIT_EXPECT_EQ(test, seg.len, (unsigned int)DATA_LEN);
	KUNIT_EXPECT_GE_MSG(test, seg.when - first.when,
			    (unsigned long)(2 * TOY_TEST_RTO),
			    "resent again after %lu jiffies",
			    seg.when - first.when);
	toy_kunit_mib_read(toy_kunit_tn(), &m);
	KUNIT_EXPECT_EQ(test, m.v[TOY_MIB_RETRANSSEGS] -
			m0.v[TOY_MIB_RETRANSSEGS], 2UL);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.retries, 2U);
	KUNIT_EXPECT_EQ(test, s.rto, (unsigned long)(4 * TOY_TEST_RTO));

	c.rexmit_ok = true;	/* a third try may race with the ACK */
	toy_conn_ack_all(&c, TOY_ESTABLISHED);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_FALSE(test, s.timer);
	KUNIT_EXPECT_EQ(test, s.write_queue, 0U);
	KUNIT_EXPECT_EQ(test, s.retries, 0U);
	KUNIT_EXPECT_EQ(test, s.rto, (unsigned long)TOY_TEST_RTO);
}

/*
 * Fast retransmit: the third duplicate ACK resends everything not yet
 * acknowledged at once (go back N), without waiting for the timer.
 */
static void toy_stream_fast_retransmit(struct kunit *test)
{
	struct toy_seg a, b, seg[4];
	struct toy_kunit_mib m0, m;
	unsigned int i, n[3];
	struct toy_conn c;
	unsigned long sent;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_establish(&c);
	sent = jiffies;
	toy_conn_write(&c, DATA_LEN, &a);
	toy_conn_write(&c, DATA_LEN, &b);
	c.rexmit_ok = false;	/* the resends are what is tested */
	toy_kunit_mib_read(toy_kunit_tn(), &m0);

	/* Three duplicate ACKs: nothing new acked, same window, no data. */
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
						    c.snd_una, 0),
				NET_RX_SUCCESS);
		for (n[i] = 0; n[i] < ARRAY_SIZE(seg); n[i]++)
			if (!toy_conn_pop(&c, &seg[n[i]]))
				break;
	}
	if (time_after_eq(jiffies, sent + TOY_TEST_RTO))
		kunit_skip(test, "the RTO expired meanwhile: machine too slow");
	toy_kunit_mib_read(toy_kunit_tn(), &m);

	KUNIT_EXPECT_EQ_MSG(test, n[0], 0U, "answer to the first dup ACK");
	KUNIT_EXPECT_EQ_MSG(test, n[1], 0U, "answer to the second dup ACK");
	KUNIT_ASSERT_EQ_MSG(test, n[2], 2U, "resent after the third");
	KUNIT_EXPECT_EQ(test, seg[0].flags, a.flags);
	KUNIT_EXPECT_EQ(test, seg[0].seq, a.seq);
	KUNIT_EXPECT_EQ(test, seg[0].len, a.len);
	KUNIT_EXPECT_EQ(test, seg[1].seq, b.seq);
	KUNIT_EXPECT_EQ(test, seg[1].len, b.len);
	KUNIT_EXPECT_EQ(test, m.v[TOY_MIB_RETRANSSEGS] -
			m0.v[TOY_MIB_RETRANSSEGS], 1UL);
}

/*
 * SYN_SENT: an unanswered SYN is sent again, the same ISN, after the RTO
 * and then after twice as long.
 */
static void toy_stream_syn_retransmit(struct kunit *test)
{
	struct toy_conn c;
	struct toy_seg seg;
	unsigned long prev;
	int i;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	c.rexmit_ok = false;	/* the resends are what is tested */
	prev = c.syn_when;
	for (i = 1; i <= 2; i++) {
		KUNIT_ASSERT_TRUE_MSG(test, toy_conn_wait(&c, &seg,
							  10 * i * TOY_TEST_RTO),
				      "SYN not resent (try %d)", i);
		KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)TOY_F_SYN);
		KUNIT_EXPECT_EQ(test, seg.seq, c.isn);
		KUNIT_EXPECT_EQ(test, seg.ack, 0U);
		KUNIT_EXPECT_GE_MSG(test, seg.when - prev,
				    (unsigned long)(i * TOY_TEST_RTO),
				    "try %d after %lu jiffies", i,
				    seg.when - prev);
		prev = seg.when;
	}
	toy_expect_state(test, c.sock, TOY_SYN_SENT);
	c.rexmit_ok = true;
	toy_conn_establish(&c);
}

/*
 * A zero window: data waits on the write queue, a probe (an old sequence
 * number, which the peer must answer) goes out after the RTO, and the
 * data leaves as soon as the window opens.
 */
static void toy_stream_zero_window(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	u8 buf[DATA_LEN];
	struct toy_conn c;
	struct toy_snap s;
	struct toy_seg seg;
	unsigned long sent;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_establish(&c);
	c.window = 0;
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_nxt, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(&c);

	toy_kunit_mib_read(toy_kunit_tn(), &before);
	toy_fill(buf, c.snd_nxt, sizeof(buf));
	sent = jiffies;
	KUNIT_ASSERT_EQ(test, toy_conn_write_raw(&c, buf, sizeof(buf)),
			DATA_LEN);
	toy_conn_expect_none(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_seq - s.snd_una, (u32)DATA_LEN);
	KUNIT_EXPECT_EQ(test, s.snd_nxt, c.snd_nxt);
	KUNIT_EXPECT_TRUE(test, s.timer);

	KUNIT_ASSERT_TRUE_MSG(test, toy_conn_wait(&c, &seg, 10 * TOY_TEST_RTO),
			      "no window probe");
	KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)TOY_F_ACK);
	KUNIT_EXPECT_EQ(test, seg.seq, c.snd_una - 1);
	KUNIT_EXPECT_EQ(test, seg.ack, c.rcv_nxt);
	KUNIT_EXPECT_EQ(test, seg.len, 0U);
	KUNIT_EXPECT_GE(test, seg.when - sent, (unsigned long)TOY_TEST_RTO);
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);

	/* The window opens: the data goes out at once. */
	c.window = PEER_WIN;
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_una, 0), NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_DATA | TOY_F_ACK, c.snd_nxt, c.rcv_nxt,
			&seg);
	KUNIT_EXPECT_EQ(test, seg.len, (unsigned int)DATA_LEN);
	KUNIT_EXPECT_EQ(test, memcmp(seg.data, buf, DATA_LEN), 0);
	c.snd_nxt += DATA_LEN;
	c.rexmit_ok = true;
	toy_conn_ack_all(&c, TOY_ESTABLISHED);
}

/*
 * close() with unread data: the peer's bytes would be lost, so RST (as
 * TCP), and the socket is gone at once.
 */
static void toy_stream_close_unread(struct kunit *test)
{
	struct toy_conn c;
	struct sock *sk;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_establish(&c);
	toy_conn_data(&c, DATA_LEN);
	sk = c.sock->sk;
	toy_test_hold(test, sk);
	toy_test_close(test, c.sock);
	c.sock = NULL;	/* freed: only @sk, held, may be looked at */
	toy_conn_expect(&c, TOY_F_RST | TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_CLOSE);
	KUNIT_EXPECT_TRUE(test, toy_test_wait_gone(sk, TOY_KUNIT_WAIT));
}

/*
 * close() of an idle connection: FIN, and the orphan finishes on its own
 * (FIN_WAIT1 --ACK--> FIN_WAIT2 --FIN--> TIME_WAIT --timer--> gone); the
 * port is free again afterwards.
 */
static void toy_stream_close_orphan(struct kunit *test)
{
	struct toy_conn c;
	struct socket *again;
	struct sock *sk;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_establish(&c);
	sk = c.sock->sk;
	toy_test_hold(test, sk);
	toy_test_close(test, c.sock);
	c.sock = NULL;	/* freed: only @sk, held, may be looked at */
	toy_conn_expect(&c, TOY_F_FIN | TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	c.snd_nxt++;
	c.rexmit_ok = true;
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_FIN_WAIT1);
	KUNIT_EXPECT_TRUE(test, sock_flag(sk, SOCK_DEAD));

	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_nxt, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	c.rexmit_ok = false;
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_FIN_WAIT2);

	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_FIN | TOY_F_ACK,
					    c.rcv_nxt, c.snd_nxt, 0),
			NET_RX_SUCCESS);
	c.rcv_nxt++;
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_TIME_WAIT);

	KUNIT_EXPECT_TRUE_MSG(test, toy_test_wait_gone(sk,
						       10 * TOY_TEST_TIMEWAIT),
			      "the orphan is still there (refcount %d)",
			      refcount_read(&sk->sk_refcnt));
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_CLOSE);
	toy_conn_expect_none(&c);
	again = toy_test_socket(test);
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(again, LO, SELF), 0);
}

/* close() in CLOSE_WAIT: LAST_ACK, and the final ACK ends the orphan. */
static void toy_stream_close_last_ack(struct kunit *test)
{
	struct toy_conn c;
	struct sock *sk;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_goto(&c, TOY_CLOSE_WAIT);
	sk = c.sock->sk;
	toy_test_hold(test, sk);
	toy_test_close(test, c.sock);
	c.sock = NULL;	/* freed: only @sk, held, may be looked at */
	toy_conn_expect(&c, TOY_F_FIN | TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	c.snd_nxt++;
	c.rexmit_ok = true;
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_LAST_ACK);
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_nxt, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_CLOSE);
	KUNIT_EXPECT_TRUE(test, toy_test_wait_gone(sk, TOY_KUNIT_WAIT));
}

/* Data for an orphan that nobody will read: RST (as TCP), and it is gone. */
static void toy_stream_orphan_data(struct kunit *test)
{
	struct toy_conn c;
	struct sock *sk;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_establish(&c);
	sk = c.sock->sk;
	toy_test_hold(test, sk);
	toy_test_close(test, c.sock);
	c.sock = NULL;	/* freed: only @sk, held, may be looked at */
	toy_conn_expect(&c, TOY_F_FIN | TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	c.snd_nxt++;
	c.rexmit_ok = true;
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_nxt, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	c.rexmit_ok = false;
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_FIN_WAIT2);
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK,
					    c.rcv_nxt, c.snd_nxt, DATA_LEN),
			NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_RST | TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_CLOSE);
	KUNIT_EXPECT_TRUE(test, toy_test_wait_gone(sk, TOY_KUNIT_WAIT));
}

/* SYN_SENT --RST+ACK--> CLOSE: connect() reports ECONNREFUSED. */
static void toy_stream_refused(struct kunit *test)
{
	struct sockaddr_toy sa = toy_kunit_sa(LO, PEER);
	struct toy_conn c;
	struct socket *sock;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_RST | TOY_F_ACK, 0,
					    c.isn + 1, 0), NET_RX_SUCCESS);
	toy_expect_state(test, c.sock, TOY_CLOSE);
	KUNIT_EXPECT_EQ(test, kernel_connect(c.sock, (struct sockaddr *)&sa,
					     sizeof(sa), O_NONBLOCK),
			-ECONNREFUSED);

	/* The same through the stack: nobody on the port, toy0 says RST. */
	sock = toy_test_socket(test);
	KUNIT_EXPECT_EQ(test, toy_kunit_connect(sock, LO, PORT(4)),
			-ECONNREFUSED);
	toy_expect_state(test, sock, TOY_CLOSE);
}

static struct kunit_case toy_stream_test_cases[] = {
	KUNIT_CASE_PARAM(toy_stream_open, toy_sides_gen_params),
	KUNIT_CASE(toy_stream_refused),
	KUNIT_CASE(toy_stream_listen_accept),
	KUNIT_CASE_PARAM(toy_stream_listen_frame, toy_lrows_gen_params),
	KUNIT_CASE(toy_stream_listen_full),
	KUNIT_CASE_PARAM(toy_stream_data_in_order, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_data_duplicate, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_data_gap, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_data_window, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_write_queue, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_passive_close, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_active_close, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_simultaneous_close, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_reset, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_rto, toy_sides_gen_params),
	KUNIT_CASE(toy_stream_fast_retransmit),
	KUNIT_CASE(toy_stream_syn_retransmit),
	KUNIT_CASE(toy_stream_zero_window),
	KUNIT_CASE(toy_stream_close_unread),
	KUNIT_CASE(toy_stream_close_orphan),
	KUNIT_CASE(toy_stream_close_last_ack),
	KUNIT_CASE(toy_stream_orphan_data),
	KUNIT_CASE_PARAM(toy_stream_frame_in_state, toy_rows_gen_params),
	KUNIT_CASE_PARAM(toy_stream_tcp_rules, toy_tcp_rows_gen_params),
	{}
};

static struct kunit_suite toy_stream_test_suite = {
	.name = "toy_stream",
	.test_cases = toy_stream_test_cases,
};

kunit_test_suite(toy_stream_test_suite);
