// SPDX-License-Identifier: GPL-2.0
/*
 * The stream fixture (toy_stream_kunit.h): what the stream suites
 * (toy_stream_state, _listen, _data, _retransmit, _close, _loss) share.
 * A real SOCK_STREAM socket is driven by frames the test builds and
 * injects into the packet_type handler, impersonating the socket's peer;
 * whatever the socket sends back is captured on toy0 and checked field by
 * field.
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
 * completes the handshake).
 *
 * Timers.  Where a FIN, SYN or data is in flight, a timer may resend it
 * while a test runs on a slow machine: those resends are recognised and
 * skipped (toy_conn_pop(), @rexmit_ok), and RetransSegs is then not
 * checked exactly.  So is a client's SYN resent after the handshake until
 * it hears from the peer (toy_stream_confirm(), @confirm_ok).
 *
 * Ports.  Each suite uses its own range: its init calls
 * toy_test_init_ports() with its base; the socket under test is on
 * base + TOY_TEST_SELF, the peer on base + TOY_TEST_PEER.
 */

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/netdevice.h>
#include <net/checksum.h>
#include <net/sock.h>

#include "toy_stream_kunit.h"

/**
 * toy_test_init_ports() - a suite's .init: the ports its tests use
 * @test: the test about to run
 * @base: the suite's port range (TOY_KUNIT_*_PORT)
 *
 * Return: 0.
 */
int toy_test_init_ports(struct kunit *test, u16 base)
{
	test->priv = (void *)(unsigned long)base;
	return 0;
}

/* Port @n of the running suite's range (TOY_TEST_SELF, TOY_TEST_PEER...). */
u16 toy_test_port(struct kunit *test, unsigned int n)
{
	unsigned long base = (unsigned long)test->priv;

	return (base ?: TOY_KUNIT_STREAM_PORT) + n;
}

/* ---- states ------------------------------------------------------------ */

int toy_state(const struct socket *sock)
{
	return READ_ONCE(sock->sk->sk_state);
}

void toy_expect_state(struct kunit *test, const struct socket *sock,
		      int want)
{
	int state = toy_state(sock);

	KUNIT_EXPECT_EQ_MSG(test, state, want, "state %s, expected %s",
			    toy_state_name(state), toy_state_name(want));
}

void toy_assert_state(struct kunit *test, const struct socket *sock,
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
void toy_test_close(struct kunit *test, struct socket *sock)
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
void toy_test_hold(struct kunit *test, struct sock *sk)
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
bool toy_test_wait_gone(struct sock *sk, unsigned long timeout)
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
struct socket *toy_test_socket(struct kunit *test)
{
	struct socket *sock;

	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, toy_family,
					       SOCK_STREAM, 0, &sock), 0);
	toy_test_manage(test, sock);
	return sock;
}

/* accept() without waiting; the new socket is test-managed. */
int toy_test_accept(struct kunit *test, struct socket *listener,
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
void toy_test_blackhole(struct kunit *test, u16 port)
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

struct toy_tap *toy_tap_start(struct kunit *test)
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

/*
 * A frame on toy0 is either summed (by a test, or by netem) or leaves its
 * checksum to the device from the header on (toy_skb_push_hdr()).
 */
static bool toy_seg_csum_ok(const struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		return skb_checksum_start(skb) == skb->data &&
		       skb->csum_offset == offsetof(struct toyhdr, check);
	return !csum_fold(skb_checksum(skb, 0, skb->len, 0));
}

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
		     toy_seg_csum_ok(skb);
	if (seg->valid)
		skb_copy_bits(skb, TOY_HDR_LEN, seg->data,
			      min_t(unsigned int, seg->len, sizeof(seg->data)));
}

/* The next frame sent from port @sport; frames from others are dropped. */
bool toy_tap_pop(struct toy_tap *tap, unsigned int sport,
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

/* The payload byte at stream position @seq: any segment can be checked. */
u8 toy_byte(u32 seq)
{
	return (u8)(seq * 7 + (seq >> 8) * 13 + 1);
}

void toy_fill(u8 *buf, u32 seq, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		buf[i] = toy_byte(seq + i);
}

/* Check @len bytes read from the stream, starting at position @seq. */
void toy_expect_bytes(struct kunit *test, const u8 *buf, u32 seq,
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

/* @f as the peer would send it, test-managed until injected. */
struct sk_buff *toy_conn_frame(struct toy_conn *c, const struct toy_frm *f)
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
	return toy_kunit_frame(c->test, &fl, payload, f->len);
}

/* Inject @f as if the peer had sent it.  Return: the handler's verdict. */
int toy_conn_inject(struct toy_conn *c, const struct toy_frm *f)
{
	return toy_kunit_inject(c->test, toy_conn_frame(c, f), toy_kunit_dev());
}

int toy_conn_send(struct toy_conn *c, unsigned int flags, u32 seq,
		  u32 ack, unsigned int len)
{
	struct toy_frm f = { flags, seq, ack, len };

	return toy_conn_inject(c, &f);
}

/*
 * A timer's resend that the test allows: of a SYN, FIN or data already
 * seen while @rexmit_ok (the socket's answers never carry those flags, or
 * carry them with a new sequence number), or a client's SYN after the
 * handshake while @confirm_ok.
 */
static bool toy_conn_is_resend(const struct toy_conn *c,
			       const struct toy_seg *seg)
{
	if (seg->dport != c->peer)
		return false;
	if (c->confirm_ok && seg->flags == TOY_F_SYN && seg->seq == c->isn)
		return true;
	return c->rexmit_ok &&
	       (seg->flags & (TOY_F_SYN | TOY_F_FIN | TOY_F_DATA)) &&
	       !(seg->flags & TOY_F_RST) &&
	       seg->flags != (TOY_F_SYN | TOY_F_ACK) &&
	       toy_seq_before(seg->seq, c->snd_nxt);
}

/* The next frame the socket sent, skipping the resends allowed. */
bool toy_conn_pop(struct toy_conn *c, struct toy_seg *seg)
{
	while (toy_tap_pop(c->tap, c->port, seg)) {
		if (!toy_conn_is_resend(c, seg))
			return true;
	}
	return false;
}

/* The socket must have sent exactly this next (@out may be NULL). */
void toy_conn_expect(struct toy_conn *c, unsigned int flags, u32 seq,
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
void toy_conn_expect_none(struct toy_conn *c)
{
	struct toy_seg seg;

	if (toy_conn_pop(c, &seg))
		KUNIT_FAIL(c->test,
			   "port %u sent flags %#x seq %u ack %u len %u; expected nothing",
			   c->port, seg.flags, seg.seq, seg.ack, seg.len);
}

/* Every counter grew by @delta; RetransSegs only roughly if timers run. */
void toy_conn_expect_mib(struct toy_conn *c,
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

/*
 * Payload bytes on the receive queue from @copied_seq on.  A segment may
 * start before the end of the one ahead of it (a resend cut differently):
 * only what it adds counts.
 */
static unsigned int toy_snap_unread(struct sock *sk, u32 copied_seq)
{
	u32 pos = copied_seq, end;
	unsigned int unread = 0;
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		end = TOY_SKB_CB(skb)->seq + skb->len;
		if (toy_seq_after(end, pos)) {
			unread += end - pos;
			pos = end;
		}
	}
	return unread;
}

/**
 * toy_snap() - read the socket's connection state under its lock
 * @sock: the socket
 * @s: filled in
 */
void toy_snap(struct socket *sock, struct toy_snap *s)
{
	struct sock *sk = sock->sk;
	struct toy_stream_sock *st = toy_st(sk);
	int inq;

	memset(s, 0, sizeof(*s));
	lock_sock(sk);
	s->snd_una = st->snd_una;
	s->snd_nxt = st->snd_nxt;
	s->snd_wnd = st->snd_wnd;
	s->snd_wl1 = st->snd_wl1;
	s->max_wnd = st->max_wnd;
	s->high_seq = st->high_seq;
	s->write_seq = st->write_seq;
	s->rcv_nxt = st->rcv_nxt;
	s->rcv_edge = st->rcv_edge;
	s->copied_seq = st->copied_seq;
	s->srtt = st->srtt;
	s->rto = st->rto;
	s->retries = st->retries;
	s->dupacks = st->dupacks;
	s->in_recovery = st->in_recovery;
	s->reordering = st->reordering;
	s->heard = st->heard;
	s->state = sk->sk_state;
	s->err = sk->sk_err;
	s->timer = timer_pending(&st->timer);
	s->wmem_queued = sk->sk_wmem_queued;
	s->rmem_alloc = atomic_read(&sk->sk_rmem_alloc);
	s->write_queue = skb_queue_len(&sk->sk_write_queue);
	s->ofo_queue = skb_queue_len(&st->ofo_queue);
	s->unread = toy_snap_unread(sk, st->copied_seq);
	inq = st->rcv_nxt - st->copied_seq;
	if (inq > 0 && sock_flag(sk, SOCK_DONE))
		inq--;
	s->inq = max(inq, 0);
	release_sock(sk);
}

/* What the reader can read now: checked two ways. */
unsigned int toy_conn_unread(struct toy_conn *c)
{
	struct toy_snap s;

	toy_snap(c->sock, &s);
	KUNIT_EXPECT_EQ_MSG(c->test, s.inq, s.unread,
			    "SIOCINQ would say %u, %u bytes are queued",
			    s.inq, s.unread);
	return s.unread;
}

/* recv() without waiting.  Return: bytes read, or a negative errno. */
int toy_conn_read(struct toy_conn *c, void *buf, size_t len)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {};

	return kernel_recvmsg(c->sock, &msg, &iov, 1, len, MSG_DONTWAIT);
}

/* send() without waiting.  Return: bytes queued, or a negative errno. */
int toy_conn_write_raw(struct toy_conn *c, const void *buf, size_t len)
{
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };

	return kernel_sendmsg(c->sock, &msg, &iov, 1, len);
}

/* The socket sends @len bytes; they go out at once as one segment. */
void toy_conn_write(struct toy_conn *c, unsigned int len,
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
void toy_conn_data(struct toy_conn *c, unsigned int len)
{
	KUNIT_EXPECT_EQ(c->test, toy_conn_send(c, TOY_F_DATA | TOY_F_ACK,
					       c->rcv_nxt, c->snd_una, len),
			NET_RX_SUCCESS);
	c->rcv_nxt += len;
	toy_conn_expect(c, TOY_F_ACK, c->snd_nxt, c->rcv_nxt, NULL);
}

/* connect() without waiting: SYN_SENT, the SYN captured. */
static void toy_conn_start_client(struct toy_conn *c)
{
	struct sockaddr_toy sa = toy_kunit_sa(LO, c->peer);
	struct kunit *test = c->test;
	struct toy_seg seg;

	KUNIT_ASSERT_EQ(test, kernel_connect(c->sock, (struct sockaddr *)&sa,
					     sizeof(sa), O_NONBLOCK),
			-EINPROGRESS);
	toy_assert_state(test, c->sock, TOY_SYN_SENT);
	KUNIT_ASSERT_TRUE(test, toy_conn_pop(c, &seg));
	KUNIT_EXPECT_TRUE(test, seg.valid);
	KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)TOY_F_SYN);
	KUNIT_EXPECT_EQ(test, seg.dport, (unsigned int)c->peer);
	KUNIT_EXPECT_EQ(test, seg.len, 0U);
	c->isn = seg.seq;
	c->syn_when = seg.when;
	c->snd_una = c->isn;
	c->snd_nxt = c->isn + 1;
	c->rexmit_ok = true;	/* the SYN is in flight */
}

/* The handshake through the listener @c->listener, and accept(). */
static void toy_conn_start_child(struct toy_conn *c)
{
	struct kunit *test = c->test;
	struct toy_seg seg;

	KUNIT_ASSERT_EQ(test, kernel_listen(c->listener, 8), 0);
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
	KUNIT_ASSERT_EQ(test, toy_test_accept(test, c->listener, &c->sock), 0);
	toy_assert_state(test, c->sock, TOY_ESTABLISHED);
	c->snd_una = c->isn + 1;
	c->snd_nxt = c->isn + 1;
}

/* setsockopt(SOL_TOY, TOY_NODELAY) */
int toy_conn_nodelay(struct socket *sock, int on)
{
	return sock->ops->setsockopt(sock, SOL_TOY, TOY_NODELAY,
				     KERNEL_SOCKPTR(&on), sizeof(on));
}

/* setsockopt(SOL_TOY, TOY_QUICKACK) */
int toy_conn_quickack(struct socket *sock, int on)
{
	return sock->ops->setsockopt(sock, SOL_TOY, TOY_QUICKACK,
				     KERNEL_SOCKPTR(&on), sizeof(on));
}

/**
 * toy_conn_start() - a socket under test, just past the first handshake step
 * @test: the test
 * @c: filled in
 * @side: TOY_SIDE_CLIENT: left in SYN_SENT, its SYN captured.
 *	  TOY_SIDE_CHILD: handshake done, accepted: ESTABLISHED.
 * @rcvbuf: SO_RCVBUF to set first, or 0
 *
 * The socket has TOY_NODELAY and TOY_QUICKACK (tests of Nagle and of
 * delayed ACKs turn them off).
 * The peer advertises PEER_WIN; for a client, a test may set @c->window
 * before toy_conn_establish() to start with another window.
 */
void toy_conn_start(struct kunit *test, struct toy_conn *c,
		    enum toy_side side, int rcvbuf)
{
	struct socket *sock;

	memset(c, 0, sizeof(*c));
	c->test = test;
	c->port = toy_test_port(test, TOY_TEST_SELF);
	c->peer = toy_test_port(test, TOY_TEST_PEER);
	c->window = PEER_WIN;
	c->rcv_nxt = PEER_ISN + 1;
	toy_test_blackhole(test, c->peer);
	c->tap = toy_tap_start(test);
	toy_kunit_mib_read(toy_kunit_tn(), &c->mib);

	sock = toy_test_socket(test);
	/* One segment per write and one ACK per segment, as the tests
	 * count them: Nagle and delayed ACKs off (an accepted child
	 * inherits both from the listener).
	 */
	KUNIT_ASSERT_EQ(test, toy_conn_nodelay(sock, 1), 0);
	KUNIT_ASSERT_EQ(test, toy_conn_quickack(sock, 1), 0);
	if (rcvbuf)
		KUNIT_ASSERT_EQ(test, sock_setsockopt(sock, SOL_SOCKET,
						      SO_RCVBUF,
						      KERNEL_SOCKPTR(&rcvbuf),
						      sizeof(rcvbuf)), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(sock, LO, c->port), 0);

	if (side == TOY_SIDE_CLIENT) {
		c->sock = sock;
		toy_conn_start_client(c);
	} else {
		c->listener = sock;
		toy_conn_start_child(c);
	}
}

/* A connection on the side the parameter of the test names (toy_sides). */
void toy_conn_open(struct kunit *test, struct toy_conn *c, int rcvbuf)
{
	const enum toy_side *side = test->param_value;

	toy_conn_start(test, c, *side, rcvbuf);
	toy_conn_establish(c);
}

/*
 * A client answers the peer's SYN+ACK and is connected; a child already
 * is.  Until the client hears from the peer again, it may resend its SYN.
 */
void toy_conn_establish(struct toy_conn *c)
{
	struct sockaddr_toy sa = toy_kunit_sa(LO, c->peer);
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
	c->confirm_ok = true;
	toy_assert_state(test, c->sock, TOY_ESTABLISHED);
	/* As for TCP, connect() again reports the outcome. */
	KUNIT_EXPECT_EQ(test, kernel_connect(c->sock, (struct sockaddr *)&sa,
					     sizeof(sa), O_NONBLOCK), 0);
}

/*
 * The peer says something after the handshake (a pure ACK of everything):
 * a client stops asking (toy_stream_confirm()) and its timer stops.
 */
void toy_conn_heard(struct toy_conn *c)
{
	struct toy_snap s;

	KUNIT_ASSERT_EQ(c->test, toy_conn_send(c, TOY_F_ACK, c->rcv_nxt,
					       c->snd_nxt, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(c);
	c->snd_una = c->snd_nxt;
	toy_snap(c->sock, &s);
	KUNIT_EXPECT_TRUE(c->test, s.heard);
}

/* shutdown(SHUT_WR): the FIN goes out. */
void toy_conn_shutdown(struct toy_conn *c, int state)
{
	KUNIT_ASSERT_EQ(c->test, kernel_sock_shutdown(c->sock, SHUT_WR), 0);
	toy_conn_expect(c, TOY_F_FIN | TOY_F_ACK, c->snd_nxt, c->rcv_nxt,
			NULL);
	c->snd_nxt++;
	c->rexmit_ok = true;	/* the FIN is in flight */
	toy_assert_state(c->test, c->sock, state);
}

/* The peer acknowledges everything the socket sent. */
void toy_conn_ack_all(struct toy_conn *c, int state)
{
	KUNIT_ASSERT_EQ(c->test, toy_conn_send(c, TOY_F_ACK, c->rcv_nxt,
					       c->snd_nxt, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(c);
	c->snd_una = c->snd_nxt;
	c->rexmit_ok = false;
	toy_assert_state(c->test, c->sock, state);
}

/* The peer sends its FIN (acking only what it acked before). */
void toy_conn_fin(struct toy_conn *c, int state)
{
	KUNIT_ASSERT_EQ(c->test, toy_conn_send(c, TOY_F_FIN | TOY_F_ACK,
					       c->rcv_nxt, c->snd_una, 0),
			NET_RX_SUCCESS);
	c->rcv_nxt++;
	toy_conn_expect(c, TOY_F_ACK, c->snd_nxt, c->rcv_nxt, NULL);
	toy_assert_state(c->test, c->sock, state);
}

/* Drive a fresh client (toy_conn_start()) to @state by legal transitions. */
void toy_conn_goto(struct toy_conn *c, int state)
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

/**
 * toy_conn_expire_owned() - let the timer expire while the test owns the socket
 * @c: the connection
 *
 * Takes lock_sock(), as a recvmsg() in progress holds it, and sets the
 * timer to expire at once.  The timer finds the socket owned and leaves
 * the expiry to release_sock() (toy_stream_release_cb()): whatever the
 * test injects meanwhile waits in the backlog, and release_sock() runs
 * that first, then the expiry.  The caller calls release_sock().
 *
 * Return: true once the expiry is deferred, false if the timer did not
 * fire within TOY_KUNIT_WAIT (the socket stays owned either way).
 */
bool toy_conn_expire_owned(struct toy_conn *c)
{
	struct sock *sk = c->sock->sk;
	struct toy_stream_sock *st = toy_st(sk);
	unsigned long end = jiffies + TOY_KUNIT_WAIT;

	lock_sock(sk);
	sk_reset_timer(sk, &st->timer, jiffies);
	while (!test_bit(TOY_TIMER_DEFERRED, &st->deferred)) {
		if (time_after(jiffies, end))
			return false;
		usleep_range(1000, 2000);
	}
	return true;
}

/* Wait (bounded) until the socket leaves @state.  Return: jiffies then. */
unsigned long toy_conn_wait_leave(struct toy_conn *c, int state,
				  unsigned long timeout)
{
	unsigned long end = jiffies + timeout;

	while (toy_state(c->sock) == state && time_before(jiffies, end))
		usleep_range(1000, 2000);
	return jiffies;
}

/* Wait (bounded) for the next frame the socket sends. */
bool toy_conn_wait(struct toy_conn *c, struct toy_seg *seg,
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

/* ---- listeners ---------------------------------------------------------- */

/* A listener on TOY_TEST_SELF; @c->peer (a blackhole) plays the client. */
void toy_listen_start(struct kunit *test, struct toy_conn *c, int backlog)
{
	memset(c, 0, sizeof(*c));
	c->test = test;
	c->port = toy_test_port(test, TOY_TEST_SELF);
	c->peer = toy_test_port(test, TOY_TEST_PEER);
	c->window = PEER_WIN;
	c->rcv_nxt = PEER_ISN + 1;
	toy_test_blackhole(test, c->peer);
	c->tap = toy_tap_start(test);
	c->listener = toy_test_socket(test);
	c->sock = c->listener;
	/* Its children acknowledge data at once, as the tests count. */
	KUNIT_ASSERT_EQ(test, toy_conn_quickack(c->listener, 1), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(c->listener, LO, c->port), 0);
	KUNIT_ASSERT_EQ(test, kernel_listen(c->listener, backlog), 0);
	toy_assert_state(test, c->listener, TOY_LISTEN);
}

/*
 * The client's SYN with sequence number @isn: answered with SYN+ACK,
 * ack = @isn + 1, and no state is kept.  Return: the cookie (the SYN+ACK's
 * seq).
 */
u32 toy_listen_syn_isn(struct toy_conn *c, u32 isn)
{
	struct kunit *test = c->test;
	struct toy_seg seg;

	KUNIT_ASSERT_EQ(test, toy_conn_send(c, TOY_F_SYN, isn, 0, 0),
			NET_RX_SUCCESS);
	KUNIT_ASSERT_TRUE_MSG(test, toy_conn_pop(c, &seg), "no SYN+ACK");
	KUNIT_EXPECT_TRUE(test, seg.valid);
	KUNIT_EXPECT_EQ(test, seg.dport, (unsigned int)c->peer);
	KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)(TOY_F_SYN | TOY_F_ACK));
	KUNIT_EXPECT_EQ(test, seg.ack, isn + 1);
	KUNIT_EXPECT_GT(test, seg.window, 0U);
	KUNIT_EXPECT_EQ(test, seg.len, 0U);
	toy_conn_expect_none(c);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(c->listener->sk->sk_ack_backlog),
			0);
	return seg.seq;
}

/* The client's SYN, with PEER_ISN.  Return: the cookie. */
u32 toy_listen_syn(struct toy_conn *c)
{
	return toy_listen_syn_isn(c, PEER_ISN);
}

/* ---- parameters ------------------------------------------------------- */

const enum toy_side toy_sides[2] = { TOY_SIDE_CLIENT, TOY_SIDE_CHILD };

void toy_side_desc(const enum toy_side *side, char *desc)
{
	strscpy(desc, *side == TOY_SIDE_CLIENT ? "client" : "accepted child",
		KUNIT_PARAM_DESC_SIZE);
}

/* ---- replies (the state table, the listener) --------------------------- */

/*
 * The socket must have answered @f with @reply, and nothing else; @adv is
 * how far @f moved rcv_nxt (payload taken, FIN), which an ACK acknowledges.
 */
void toy_conn_expect_reply(struct toy_conn *c, enum toy_reply reply,
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
	case R_ACK_DUP:
		toy_conn_expect(c, TOY_TEST_ACK_DUP, c->snd_nxt,
				c->rcv_nxt + adv, NULL);
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
