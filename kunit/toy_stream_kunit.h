/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stream fixture shared by the stream suites (toy_stream_state,
 * _listen, _data, _retransmit, _close and _loss; toy_stream_kunit.c): a
 * real SOCK_STREAM socket under
 * test, a peer the test plays by injecting frames, and a tap on toy0 that
 * captures whatever the socket sends.  See toy_stream_kunit.c for how the
 * peer and the tap work.
 */
#ifndef _TOY_STREAM_KUNIT_H
#define _TOY_STREAM_KUNIT_H

#include "toy_kunit.h"
#include "toy_stream.h"

#define LO		TOY_ADDR_LOOPBACK

/* The module's timers (include/toy_stream.h): the first RTO, TIME_WAIT,
 * and the bounds of a measured RTO.
 */
#define TOY_TEST_RTO		TOY_RTO_INIT
#define TOY_TEST_TIMEWAIT	TOY_TIMEWAIT_LEN
#define TOY_TEST_RTO_MIN	TOY_RTO_MIN
#define TOY_TEST_RTO_MAX	TOY_RTO_MAX

/* The peer's initial sequence number: its byte stream wraps after 1 KiB. */
#define PEER_ISN	0xfffffc00U
/* The window the peer advertises, in TOY_WINDOW_UNITs (16 KiB). */
#define PEER_WIN	256
/* Payload of the data frames the tables send. */
#define DATA_LEN	100

/* The ACK that answers a segment whose payload was all duplicate. */
#define TOY_TEST_ACK_DUP	(TOY_F_ACK | TOY_F_DSACK)

/* Ports, relative to the suite's base (toy_test_init_ports()). */
#define TOY_TEST_SELF	1	/* the socket under test, or its listener */
#define TOY_TEST_PEER	2	/* the peer the test plays: a blackhole */

int toy_test_init_ports(struct kunit *test, u16 base);
u16 toy_test_port(struct kunit *test, unsigned int n);

/* States */
int toy_state(const struct socket *sock);
void toy_expect_state(struct kunit *test, const struct socket *sock, int want);
void toy_assert_state(struct kunit *test, const struct socket *sock, int want);

/* Sockets */
void toy_test_close(struct kunit *test, struct socket *sock);
void toy_test_hold(struct kunit *test, struct sock *sk);
bool toy_test_wait_gone(struct sock *sk, unsigned long timeout);
struct socket *toy_test_socket(struct kunit *test);
int toy_test_accept(struct kunit *test, struct socket *listener,
		    struct socket **child);
void toy_test_blackhole(struct kunit *test, u16 port);

/*
 * The tap: keeps what toy0 transmits (PACKET_OUTGOING), with the time it
 * was sent in skb->cb, and drops the copies of received frames.
 */
struct toy_tap {
	struct packet_type	pt;
	struct sk_buff_head	frames;
};

struct toy_tap *toy_tap_start(struct kunit *test);

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

bool toy_tap_pop(struct toy_tap *tap, unsigned int sport, struct toy_seg *seg);

enum toy_side {
	TOY_SIDE_CLIENT,	/* connect()ed */
	TOY_SIDE_CHILD,		/* accept()ed */
};

extern const enum toy_side toy_sides[2];
void toy_side_desc(const enum toy_side *side, char *desc);

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
 * @confirm_ok: a client may resend its SYN after the handshake until it
 *		hears from the peer (toy_stream_confirm()); skip that
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
	bool			confirm_ok;
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

/* The stream's bytes: the byte at position @seq is a function of @seq. */
u8 toy_byte(u32 seq);
void toy_fill(u8 *buf, u32 seq, unsigned int len);
void toy_expect_bytes(struct kunit *test, const u8 *buf, u32 seq,
		      unsigned int len);

/* The peer's frames, and what the socket sends back */
struct sk_buff *toy_conn_frame(struct toy_conn *c, const struct toy_frm *f);
int toy_conn_inject(struct toy_conn *c, const struct toy_frm *f);
int toy_conn_send(struct toy_conn *c, unsigned int flags, u32 seq, u32 ack,
		  unsigned int len);
bool toy_conn_pop(struct toy_conn *c, struct toy_seg *seg);
void toy_conn_expect(struct toy_conn *c, unsigned int flags, u32 seq, u32 ack,
		     struct toy_seg *out);
void toy_conn_expect_none(struct toy_conn *c);
void toy_conn_expect_mib(struct toy_conn *c, const struct toy_kunit_mib *before,
			 struct toy_kunit_mib *delta);

/**
 * struct toy_snap - the socket's connection state, read under its lock
 * @snd_una: see struct toy_stream_sock
 * @snd_nxt: ditto
 * @snd_wnd: ditto
 * @snd_wl1: ditto
 * @max_wnd: ditto
 * @high_seq: ditto
 * @write_seq: ditto
 * @rcv_nxt: ditto
 * @rcv_edge: ditto
 * @copied_seq: ditto
 * @srtt: ditto
 * @rto: ditto
 * @retries: ditto
 * @dupacks: ditto
 * @in_recovery: ditto
 * @reordering: ditto
 * @heard: ditto
 * @state: sk_state
 * @err: sk_err
 * @timer: the retransmission/TIME_WAIT timer is pending
 * @wmem_queued: sk_wmem_queued
 * @rmem_alloc: sk_rmem_alloc (receive and out-of-order queues)
 * @write_queue: segments on sk_write_queue
 * @ofo_queue: segments on the out-of-order queue
 * @unread: payload bytes on the receive queue not read yet
 * @inq: what SIOCINQ reports (toy_stream_inq(), computed the same way)
 */
struct toy_snap {
	u32			snd_una;
	u32			snd_nxt;
	u32			snd_wnd;
	u32			snd_wl1;
	u32			max_wnd;
	u32			high_seq;
	u32			write_seq;
	u32			rcv_nxt;
	u32			rcv_edge;
	u32			copied_seq;
	u32			srtt;
	unsigned long		rto;
	unsigned int		retries;
	unsigned int		dupacks;
	bool			in_recovery;
	unsigned int		reordering;
	bool			heard;
	int			state;
	int			err;
	bool			timer;
	int			wmem_queued;
	int			rmem_alloc;
	unsigned int		write_queue;
	unsigned int		ofo_queue;
	unsigned int		unread;
	unsigned int		inq;
};

void toy_snap(struct socket *sock, struct toy_snap *s);

/* The socket's reader and writer */
unsigned int toy_conn_unread(struct toy_conn *c);
int toy_conn_read(struct toy_conn *c, void *buf, size_t len);
int toy_conn_write_raw(struct toy_conn *c, const void *buf, size_t len);
void toy_conn_write(struct toy_conn *c, unsigned int len, struct toy_seg *out);
void toy_conn_data(struct toy_conn *c, unsigned int len);

/* Connections and their states */
int toy_conn_nodelay(struct socket *sock, int on);
int toy_conn_quickack(struct socket *sock, int on);
void toy_conn_start(struct kunit *test, struct toy_conn *c, enum toy_side side,
		    int rcvbuf);
void toy_conn_open(struct kunit *test, struct toy_conn *c, int rcvbuf);
void toy_conn_establish(struct toy_conn *c);
void toy_conn_heard(struct toy_conn *c);
void toy_conn_shutdown(struct toy_conn *c, int state);
void toy_conn_ack_all(struct toy_conn *c, int state);
void toy_conn_fin(struct toy_conn *c, int state);
void toy_conn_goto(struct toy_conn *c, int state);
bool toy_conn_expire_owned(struct toy_conn *c);
unsigned long toy_conn_wait_leave(struct toy_conn *c, int state,
				  unsigned long timeout);
bool toy_conn_wait(struct toy_conn *c, struct toy_seg *seg,
		   unsigned long timeout);

/* Listeners */
void toy_listen_start(struct kunit *test, struct toy_conn *c, int backlog);
u32 toy_listen_syn_isn(struct toy_conn *c, u32 isn);
u32 toy_listen_syn(struct toy_conn *c);

/* What the socket answers a frame from the peer (toy_conn_expect_reply()). */
enum toy_reply {
	R_NONE,		/* silence */
	R_ACK,		/* ACK: seq snd_nxt, ack rcv_nxt + adv */
	R_ACK_DUP,	/* the same for a segment that was all duplicate */
	R_RST,		/* RST+ACK as for a frame nobody wants: seq = its ack,
			 * ack = its seq + length (+1 for SYN, FIN)
			 */
	R_SYNACK,	/* the listener's SYN+ACK: seq cookie, ack seq + 1 */
	R_ACK_OR_NONE,	/* where TCP allows both: an ACK as R_ACK, or silence */
};

/* The socket must have answered @f with @reply, and nothing else. */
void toy_conn_expect_reply(struct toy_conn *c, enum toy_reply reply,
			   const struct toy_frm *f, unsigned int adv);

#endif /* _TOY_STREAM_KUNIT_H */
