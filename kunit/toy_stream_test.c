// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toy_stream": the stream state machine (toy_stream.c).
 *
 * Every legal transition, and every illegal frame in every state.  A real
 * SOCK_STREAM socket is driven by frames the test builds and injects into
 * the packet_type handler, impersonating the socket's peer; whatever the
 * socket sends back is captured on toy0 and checked field by field.  The
 * fixture (the blackhole peer, the tap, the connection helpers) is in
 * toy_stream_kunit.c, shared with the suite "toy_stream_loss", which
 * tests loss, reordering and recovery.
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

#include <linux/jiffies.h>
#include <net/sock.h>

#include "toy_stream_kunit.h"

#define PORT(n)		(TOY_KUNIT_STREAM_PORT + (n))
#define SELF		PORT(TOY_TEST_SELF)
#define PEER		PORT(TOY_TEST_PEER)
#define PEER2		PORT(3)	/* a second peer */

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

static const char *const toy_reply_names[] = {
	[R_NONE]	= "nothing",
	[R_ACK]		= "ACK",
	[R_ACK_DUP]	= "ACK of a duplicate",
	[R_RST]		= "RST",
	[R_SYNACK]	= "SYN+ACK",
	[R_ACK_OR_NONE]	= "ACK or nothing",
};

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
 * @ofo: kept in the out-of-order queue until the gap is filled (OfoQueue)
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
	bool		ofo;
};

#define ROW(st, fr, t, rep, ...)					\
	{ .state = TOY_##st, .frame = FR_##fr, .to = TOY_##t,		\
	  .reply = R_##rep, __VA_ARGS__ }
#define QUEUED		.adv = DATA_LEN, .queued = DATA_LEN
#define FIN_TAKEN	.adv = 1
#define QUEUED_FIN	.adv = DATA_LEN + 1, .queued = DATA_LEN
#define OFO		.ofo = true

/*
 * Every state a connection passes through, every kind of frame.  The
 * frames that only TCP's rules decide are in toy_tcp_rows.
 */
static const struct toy_row toy_rows[] = {
	/*
	 * SYN_SENT: only SYN+ACK or RST+ACK acking our SYN count.  An ACK
	 * of anything else is reset (RFC 9293 3.10.7.3: seq = its ack), so
	 * that a half-open old connection does not hold the four-tuple; a
	 * segment without ACK is dropped.
	 */
	ROW(SYN_SENT, SYNACK, ESTABLISHED, ACK),
	ROW(SYN_SENT, SYNACK_BADACK, SYN_SENT, RST),
	ROW(SYN_SENT, SYN, SYN_SENT, NONE),	/* no simultaneous open */
	ROW(SYN_SENT, ACK, SYN_SENT, NONE),
	ROW(SYN_SENT, ACK_DUP, SYN_SENT, RST),
	ROW(SYN_SENT, DATA, SYN_SENT, RST),
	ROW(SYN_SENT, FIN, SYN_SENT, RST),
	ROW(SYN_SENT, RST, SYN_SENT, NONE),
	ROW(SYN_SENT, RST_ACK, CLOSE, NONE, .err = ECONNREFUSED),
	ROW(SYN_SENT, RST_BADACK, SYN_SENT, NONE),
	ROW(SYN_SENT, BARE, SYN_SENT, NONE),

	/*
	 * ESTABLISHED: in-order data is taken; data or a FIN past a gap is
	 * kept out of order and answered with a duplicate ACK (rcv_nxt).
	 */
	ROW(ESTABLISHED, SYNACK, ESTABLISHED, ACK),	/* our ACK was lost */
	ROW(ESTABLISHED, ACK, ESTABLISHED, NONE),
	ROW(ESTABLISHED, ACK_DUP, ESTABLISHED, NONE),
	ROW(ESTABLISHED, ACK_OLD, ESTABLISHED, NONE),
	ROW(ESTABLISHED, ACK_UNSENT, ESTABLISHED, NONE),
	ROW(ESTABLISHED, DATA, ESTABLISHED, ACK, QUEUED),
	ROW(ESTABLISHED, DATA_OLD, ESTABLISHED, ACK_DUP),
	ROW(ESTABLISHED, DATA_GAP, ESTABLISHED, ACK, OFO),
	ROW(ESTABLISHED, DATA_NOACK, ESTABLISHED, NONE),
	ROW(ESTABLISHED, DATA_FIN, CLOSE_WAIT, ACK, QUEUED_FIN),
	ROW(ESTABLISHED, FIN, CLOSE_WAIT, ACK, FIN_TAKEN),
	ROW(ESTABLISHED, FIN_OLD, ESTABLISHED, ACK),
	ROW(ESTABLISHED, FIN_GAP, ESTABLISHED, ACK, OFO),
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
	ROW(FIN_WAIT1, DATA_OLD, FIN_WAIT1, ACK_DUP),
	ROW(FIN_WAIT1, DATA_GAP, FIN_WAIT1, ACK, OFO),
	ROW(FIN_WAIT1, DATA_NOACK, FIN_WAIT1, NONE),
	ROW(FIN_WAIT1, DATA_FIN, CLOSING, ACK, QUEUED_FIN),
	ROW(FIN_WAIT1, FIN, CLOSING, ACK, FIN_TAKEN),
	ROW(FIN_WAIT1, FIN_ACK, TIME_WAIT, ACK, FIN_TAKEN),
	ROW(FIN_WAIT1, FIN_OLD, FIN_WAIT1, ACK),
	ROW(FIN_WAIT1, FIN_GAP, FIN_WAIT1, ACK, OFO),
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
	ROW(FIN_WAIT2, DATA_OLD, FIN_WAIT2, ACK_DUP),
	ROW(FIN_WAIT2, DATA_GAP, FIN_WAIT2, ACK, OFO),
	ROW(FIN_WAIT2, DATA_NOACK, FIN_WAIT2, NONE),
	ROW(FIN_WAIT2, DATA_FIN, TIME_WAIT, ACK, QUEUED_FIN),
	ROW(FIN_WAIT2, FIN, TIME_WAIT, ACK, FIN_TAKEN),
	ROW(FIN_WAIT2, FIN_OLD, FIN_WAIT2, ACK),
	ROW(FIN_WAIT2, FIN_GAP, FIN_WAIT2, ACK, OFO),
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
	ROW(CLOSING, DATA, CLOSING, ACK),	/* after the FIN: not taken */
	ROW(CLOSING, DATA_OLD, CLOSING, ACK_DUP),
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
	ROW(CLOSE_WAIT, DATA, CLOSE_WAIT, ACK),	/* after the FIN: not taken */
	ROW(CLOSE_WAIT, DATA_OLD, CLOSE_WAIT, ACK_DUP),
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
	ROW(LAST_ACK, DATA, LAST_ACK, ACK),	/* after the FIN: not taken */
	ROW(LAST_ACK, DATA_OLD, LAST_ACK, ACK_DUP),
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
	KUNIT_EXPECT_EQ(test, s.ofo_queue, (unsigned int)r->ofo);
	KUNIT_EXPECT_EQ(test, s.err, (int)r->err);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.sock->sk->sk_drops), drops);
	delta.v[TOY_MIB_NOPORTS] = r->noports;
	delta.v[TOY_MIB_OFOQUEUE] = r->ofo;
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
	LF_DATA_LATE,	/* data echoing the cookie, 100 bytes after the first */
	LF_DATA_NOACK,	/* data without the ACK flag */
	LF_FIN,		/* FIN, echoing the cookie */
	LF_FIN_BAD,	/* FIN, wrong cookie */
	LF_ACK_LATE,	/* ACK echoing the cookie, seq 100 after the first */
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

/*
 * The cookie covers the client's ISN, so only the segment right after its
 * SYN (seq = ISN + 1) makes a child: a later one would start the stream
 * with a hole.  Anything else is an old connection's, and a pure ACK of
 * that gets RST; one that carries data or FIN is dropped without a word,
 * as it may be a live client whose first segments were lost, and which
 * will resend from its first byte.
 */
static const struct toy_lrow toy_lrows[] = {
	{ LF_SYN, "SYN again -> same SYN+ACK", R_SYNACK, TOY_CLOSE },
	{ LF_SYNACK, "SYN+ACK -> RST", R_RST, TOY_CLOSE },
	{ LF_ACK, "ACK echoing the cookie -> child", R_NONE,
	  TOY_ESTABLISHED },
	{ LF_ACK_BAD, "ACK, wrong cookie -> RST", R_RST, TOY_CLOSE },
	{ LF_DATA, "data echoing the cookie -> child with data", R_ACK,
	  TOY_ESTABLISHED, DATA_LEN },
	{ LF_DATA_BAD, "data, wrong cookie -> dropped", R_NONE, TOY_CLOSE },
	{ LF_DATA_LATE, "data after a lost one -> dropped", R_NONE,
	  TOY_CLOSE },
	{ LF_DATA_NOACK, "data without ACK -> RST", R_RST, TOY_CLOSE },
	{ LF_FIN, "FIN echoing the cookie -> child in CLOSE_WAIT", R_ACK,
	  TOY_CLOSE_WAIT },
	{ LF_FIN_BAD, "FIN, wrong cookie -> dropped", R_NONE, TOY_CLOSE },
	{ LF_ACK_LATE, "ACK after a lost one -> RST", R_RST, TOY_CLOSE },
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
	case LF_DATA_LATE:
		return (struct toy_frm){ TOY_F_DATA | TOY_F_ACK, seq + DATA_LEN,
					 cookie + 1, DATA_LEN };
	case LF_ACK_LATE:
		return (struct toy_frm){ TOY_F_ACK, seq + DATA_LEN, cookie + 1,
					 0 };
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

KUNIT_ARRAY_PARAM(toy_sides, toy_sides, toy_side_desc);

/*
 * The handshake: sequence numbers, windows, addresses, counters.  A child
 * has heard its client (the handshake's last ACK), so its timer is idle; a
 * client has only heard the listener, which keeps no state, so its timer
 * runs until the peer speaks (toy_stream_confirm()).
 */
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
	KUNIT_EXPECT_EQ(test, s.timer, *side == TOY_SIDE_CLIENT);
	KUNIT_EXPECT_EQ(test, s.heard, *side == TOY_SIDE_CHILD);
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
 * The peer sends @len bytes from @seq; the socket must ack @ack, with
 * @flags (TOY_F_ACK, or TOY_TEST_ACK_DUP if all of it was old).
 */
static void toy_conn_resend(struct toy_conn *c, u32 seq, unsigned int len,
			    u32 ack, unsigned int flags)
{
	KUNIT_EXPECT_EQ(c->test, toy_conn_send(c, TOY_F_DATA | TOY_F_ACK, seq,
					       c->snd_una, len),
			NET_RX_SUCCESS);
	toy_conn_expect(c, flags, c->snd_nxt, ack, NULL);
}

/*
 * A duplicate is re-acknowledged (TOY_TEST_ACK_DUP) and not queued twice.
 * A segment that overlaps what arrived (a resend cut differently) gives
 * its new bytes only, once, whether or not the reader took the old ones
 * already.
 */
static void toy_stream_data_duplicate(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_conn c;
	u8 buf[3 * DATA_LEN];
	u32 start;
	int drops;

	toy_conn_open(test, &c, 0);
	start = c.rcv_nxt;
	toy_conn_data(&c, DATA_LEN);
	drops = atomic_read(&c.sock->sk->sk_drops);
	toy_kunit_mib_read(toy_kunit_tn(), &before);

	/* All of it again: nothing new. */
	toy_conn_resend(&c, start, DATA_LEN, c.rcv_nxt, TOY_TEST_ACK_DUP);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), (unsigned int)DATA_LEN);

	/* Half old, half new: the new half is taken. */
	c.rcv_nxt += DATA_LEN / 2;
	toy_conn_resend(&c, start + DATA_LEN / 2, DATA_LEN, c.rcv_nxt,
			TOY_F_ACK);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c),
			(unsigned int)(DATA_LEN + DATA_LEN / 2));
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)),
			DATA_LEN + DATA_LEN / 2);
	toy_expect_bytes(test, buf, start, DATA_LEN + DATA_LEN / 2);

	/* The same once the reader has taken the old half. */
	c.rcv_nxt += DATA_LEN / 2;
	toy_conn_resend(&c, start + DATA_LEN, DATA_LEN, c.rcv_nxt, TOY_F_ACK);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), (unsigned int)DATA_LEN / 2);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)),
			DATA_LEN / 2);
	toy_expect_bytes(test, buf, start + DATA_LEN + DATA_LEN / 2,
			 DATA_LEN / 2);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), -EAGAIN);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.sock->sk->sk_drops), drops);
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
}

/*
 * A segment after a gap is kept out of order (OfoQueue) and the gap's
 * start acknowledged again (a duplicate ACK); the segment that fills the
 * gap is acknowledged together with it, and the reader gets both, in
 * order.  A resend of the kept segment is then a mere duplicate.
 */
static void toy_stream_data_gap(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_conn c;
	struct toy_snap s;
	u8 buf[3 * DATA_LEN];
	u32 start;

	toy_conn_open(test, &c, 0);
	start = c.rcv_nxt;
	toy_kunit_mib_read(toy_kunit_tn(), &before);
	toy_conn_resend(&c, start + DATA_LEN, DATA_LEN, start, TOY_F_ACK);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 0U);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.ofo_queue, 1U);
	KUNIT_EXPECT_EQ(test, s.rcv_nxt, start);

	c.rcv_nxt += 2 * DATA_LEN;
	toy_conn_resend(&c, start, DATA_LEN, c.rcv_nxt, TOY_F_ACK);
	toy_conn_resend(&c, start + DATA_LEN, DATA_LEN, c.rcv_nxt,
			TOY_TEST_ACK_DUP);
	toy_conn_expect_none(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.ofo_queue, 0U);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 2U * DATA_LEN);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)),
			2 * DATA_LEN);
	toy_expect_bytes(test, buf, start, 2 * DATA_LEN);
	delta.v[TOY_MIB_OFOQUEUE] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
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
 * and Timeouts count each); an ACK stops it all and resets the RTO - to
 * the initial one, as an ACK of a resent segment gives no round-trip
 * sample (Karn's rule).  A client first hears from its peer, so that the
 * timer is idle when the data goes out: until then it runs to resend the
 * SYN (toy_stream_confirm()), and the data would not restart it.
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
	toy_conn_heard(&c);
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
	KUNIT_EXPECT_EQ(test, m.v[TOY_MIB_TIMEOUTS] - m0.v[TOY_MIB_TIMEOUTS],
			1UL);
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
	KUNIT_EXPECT_EQ(test, m.v[TOY_MIB_TIMEOUTS] - m0.v[TOY_MIB_TIMEOUTS],
			2UL);
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
 * Fast retransmit: the third duplicate ACK resends the oldest segment
 * unacknowledged - the one the peer is missing, as what it got beyond it
 * waits in its out-of-order queue - without waiting for the timer, and
 * starts loss recovery (FastRetrans).  toy_stream_loss tests recovery.
 */
static void toy_stream_fast_retransmit(struct kunit *test)
{
	struct toy_kunit_mib m0, delta = {};
	struct toy_seg a, seg[2];
	unsigned int i, n[3];
	struct toy_conn c;
	unsigned long sent;
	struct toy_snap s;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_establish(&c);
	toy_conn_heard(&c);	/* the timer is idle until data goes out */
	sent = jiffies;
	toy_conn_write(&c, DATA_LEN, &a);
	toy_conn_write(&c, DATA_LEN, NULL);
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

	KUNIT_EXPECT_EQ_MSG(test, n[0], 0U, "answer to the first dup ACK");
	KUNIT_EXPECT_EQ_MSG(test, n[1], 0U, "answer to the second dup ACK");
	KUNIT_ASSERT_EQ_MSG(test, n[2], 1U, "resent after the third");
	KUNIT_EXPECT_EQ(test, seg[0].flags, a.flags);
	KUNIT_EXPECT_EQ(test, seg[0].seq, a.seq);
	KUNIT_EXPECT_EQ(test, seg[0].len, a.len);
	KUNIT_EXPECT_EQ(test, memcmp(seg[0].data, a.data, DATA_LEN), 0);
	delta.v[TOY_MIB_RETRANSSEGS] = 1;
	delta.v[TOY_MIB_FASTRETRANS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &m0, &delta);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_TRUE(test, s.in_recovery);
	KUNIT_EXPECT_EQ(test, s.high_seq, c.snd_nxt);
	KUNIT_EXPECT_EQ(test, s.write_queue, 2U);
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
 * A zero window: the peer's window is shut from the handshake on (a
 * window once offered cannot be taken back: its right edge never moves
 * back, toy_stream_update_window()).  Data waits on the write queue,
 * never sent (snd_nxt stays), and a probe (an old sequence number, which
 * the peer must answer) goes out after the RTO; an answer shows the peer
 * alive (retries back to 0), and the data leaves as soon as the window
 * opens.
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
	c.window = 0;
	toy_conn_establish(&c);
	toy_conn_heard(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.snd_wnd, 0U);
	KUNIT_EXPECT_FALSE(test, s.timer);

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
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.snd_nxt, c.snd_nxt);

	/* The peer answers, still shut: it is alive, nothing is sent. */
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_una, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.retries, 0U);
	KUNIT_EXPECT_TRUE(test, s.timer);
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

static int toy_stream_test_init(struct kunit *test)
{
	return toy_test_init_ports(test, TOY_KUNIT_STREAM_PORT);
}

static struct kunit_suite toy_stream_test_suite = {
	.name = "toy_stream",
	.init = toy_stream_test_init,
	.test_cases = toy_stream_test_cases,
};

kunit_test_suite(toy_stream_test_suite);
