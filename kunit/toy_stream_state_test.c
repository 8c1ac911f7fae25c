// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toy_stream_state": the stream state table (toy_stream_input.c).
 *
 * Every kind of frame in every state a connection passes through, on a
 * client: the state it must be in afterwards, its answer (flags, seq,
 * ack), what its reader can read, sk_err and every counter.  Each row
 * drives a fresh client to its state by legal transitions
 * (toy_conn_goto()) and injects one frame.  The peer is played by
 * injected frames and a tap on toy0: the fixture in toy_stream_kunit.c,
 * which all the toy_stream_* suites share.
 *
 * What is expected: the rules written in the toy_stream*.c files, else TCP's
 * (RFC 9293).  toy_stream_tcp_rules holds the cases where only TCP's rules
 * decide.
 *
 * Timing: where a FIN or SYN is in flight, a timer may resend it while a
 * test runs on a slow machine: those resends are recognised and skipped
 * (toy_conn_pop()), and RetransSegs is then not checked exactly.
 */

#include <net/sock.h>

#include "toy_stream_kunit.h"

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
 * TCP's rules where the toy_stream*.c files say nothing.  RFC 9293 3.10.7.4 (and
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

/*
 * The names /proc/net/toy prints: TCP's, and "?" for a number that is no
 * state (a corrupted socket must not make the listing read out of bounds).
 */
static void toy_stream_state_names(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, toy_state_name(TOY_ESTABLISHED), "ESTABLISHED");
	KUNIT_EXPECT_STREQ(test, toy_state_name(TOY_TIME_WAIT), "TIME_WAIT");
	KUNIT_EXPECT_STREQ(test, toy_state_name(0), "?");
	KUNIT_EXPECT_STREQ(test, toy_state_name(-1), "?");
	KUNIT_EXPECT_STREQ(test, toy_state_name(1000), "?");
}

static struct kunit_case toy_stream_state_test_cases[] = {
	KUNIT_CASE_PARAM(toy_stream_frame_in_state, toy_rows_gen_params),
	KUNIT_CASE_PARAM(toy_stream_tcp_rules, toy_tcp_rows_gen_params),
	KUNIT_CASE(toy_stream_state_names),
	{}
};

static int toy_stream_state_test_init(struct kunit *test)
{
	return toy_test_init_ports(test, TOY_KUNIT_STREAM_PORT);
}

static struct kunit_suite toy_stream_state_test_suite = {
	.name = "toy_stream_state",
	.init = toy_stream_state_test_init,
	.test_cases = toy_stream_state_test_cases,
};

kunit_test_suite(toy_stream_state_test_suite);
