/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toy_trace.h - AF_TOY's trace events, one at each layer crossing:
 *
 *   af_toy:toy_sendmsg	socket -> protocol	(af_toy.c, a send call)
 *   af_toy:toy_xmit	protocol -> device	(toy_netdev.c, toy_queue_xmit():
 *			every frame, the toy ARP's too)
 *   af_toy:toy_rcv	device -> protocol	(toy_proto.c, with the verdict)
 *   af_toy:toy_deliver	protocol -> socket	(toy_dgram.c, toy_stream_input.c)
 *   af_toy:toy_set_state	a stream's state	(toy_stream.c, toy_port.c;
 *			the field names of sock:inet_sock_set_state)
 *   af_toy:toy_retransmit	a segment sent again	(toy_stream_output.c; as
 *			tcp:tcp_retransmit_skb)
 *   af_toy:toy_neigh_state	a neighbour entry's state (toy_neigh.c)
 *
 * Watch them with tracefs (echo 1 > /sys/kernel/tracing/events/af_toy/enable),
 * trace-cmd or perf.  Addresses are kept as their 4 bytes and printed
 * dotted, as tcp's events do; ports are in host order.
 * CREATE_TRACE_POINTS is defined in toy_proto.c only.  Why a frame was
 * dropped is not an event of ours: every drop gives kfree_skb_reason() a
 * reason, which the kernel's skb:kfree_skb shows.
 *
 * Not under include/linux/: the kernel builds with gnu11, where "linux"
 * is a macro, and TRACE_INCLUDE_PATH below would be expanded.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM af_toy

#if !defined(_TOY_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TOY_TRACE_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/tracepoint.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "af_toy.h"

TRACE_DEFINE_ENUM(TOY_RX_OK);
TRACE_DEFINE_ENUM(TOY_RX_BAD_HEADER);
TRACE_DEFINE_ENUM(TOY_RX_BAD_CSUM);

#define show_toy_verdict(v)					\
	__print_symbolic(v, { TOY_RX_OK, "OK" },		\
			 { TOY_RX_BAD_HEADER, "BAD_HEADER" },	\
			 { TOY_RX_BAD_CSUM, "BAD_CSUM" })

/* Stream states are TCP's numbers, named as sock:inet_sock_set_state does. */
TRACE_DEFINE_ENUM(TCP_ESTABLISHED);
TRACE_DEFINE_ENUM(TCP_SYN_SENT);
TRACE_DEFINE_ENUM(TCP_SYN_RECV);
TRACE_DEFINE_ENUM(TCP_FIN_WAIT1);
TRACE_DEFINE_ENUM(TCP_FIN_WAIT2);
TRACE_DEFINE_ENUM(TCP_TIME_WAIT);
TRACE_DEFINE_ENUM(TCP_CLOSE);
TRACE_DEFINE_ENUM(TCP_CLOSE_WAIT);
TRACE_DEFINE_ENUM(TCP_LAST_ACK);
TRACE_DEFINE_ENUM(TCP_LISTEN);
TRACE_DEFINE_ENUM(TCP_CLOSING);

#define show_toy_state(s)					\
	__print_symbolic(s, { TCP_ESTABLISHED, "TCP_ESTABLISHED" },	\
			 { TCP_SYN_SENT, "TCP_SYN_SENT" },	\
			 { TCP_SYN_RECV, "TCP_SYN_RECV" },	\
			 { TCP_FIN_WAIT1, "TCP_FIN_WAIT1" },	\
			 { TCP_FIN_WAIT2, "TCP_FIN_WAIT2" },	\
			 { TCP_TIME_WAIT, "TCP_TIME_WAIT" },	\
			 { TCP_CLOSE, "TCP_CLOSE" },		\
			 { TCP_CLOSE_WAIT, "TCP_CLOSE_WAIT" },	\
			 { TCP_LAST_ACK, "TCP_LAST_ACK" },	\
			 { TCP_LISTEN, "TCP_LISTEN" },		\
			 { TCP_CLOSING, "TCP_CLOSING" })

TRACE_DEFINE_ENUM(TOY_NEIGH_NONE);
TRACE_DEFINE_ENUM(TOY_NEIGH_INCOMPLETE);
TRACE_DEFINE_ENUM(TOY_NEIGH_REACHABLE);
TRACE_DEFINE_ENUM(TOY_NEIGH_STALE);
TRACE_DEFINE_ENUM(TOY_NEIGH_FAILED);

#define show_toy_neigh_state(s)					\
	__print_symbolic(s, { TOY_NEIGH_NONE, "NONE" },		\
			 { TOY_NEIGH_INCOMPLETE, "INCOMPLETE" },	\
			 { TOY_NEIGH_REACHABLE, "REACHABLE" },	\
			 { TOY_NEIGH_STALE, "STALE" },		\
			 { TOY_NEIGH_FAILED, "FAILED" })

#define show_toy_type(t)					\
	__print_symbolic(t, { TOY_TYPE_DGRAM, "DGRAM" },	\
			 { TOY_TYPE_STREAM, "STREAM" },		\
			 { TOY_TYPE_SEQPACKET, "SEQPACKET" },	\
			 { TOY_TYPE_NEIGH, "NEIGH" })

/* socket -> protocol: a send call on a socket */
TRACE_EVENT(toy_sendmsg,
	TP_PROTO(const struct sock *sk, size_t len),
	TP_ARGS(sk, len),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(u8, type)
		__field(size_t, len)
	),
	TP_fast_assign(
		__entry->skaddr = sk;
		__entry->type = toy_type_of(sk);
		__entry->len = len;
	),
	TP_printk("skaddr=%p type=%s len=%zu", __entry->skaddr,
		  show_toy_type(__entry->type), __entry->len)
);

/* The header fields of a frame, for the two frame events below. */
DECLARE_EVENT_CLASS(toy_frame,
	TP_PROTO(const struct sk_buff *skb, const struct net_device *dev),
	TP_ARGS(skb, dev),
	TP_STRUCT__entry(
		__field(const void *, skbaddr)
		__array(char, dev, IFNAMSIZ)
		__field(unsigned int, len)
		__array(u8, saddr, 4)
		__array(u8, daddr, 4)
		__field(u16, sport)
		__field(u16, dport)
		__field(u8, type)
		__field(u8, flags)
	),
	TP_fast_assign(
		const struct toyhdr *th = toy_hdr(skb);

		__entry->skbaddr = skb;
		strscpy(__entry->dev, dev->name, IFNAMSIZ);
		__entry->len = skb->len;
		memcpy(__entry->saddr, &th->saddr, 4);
		memcpy(__entry->daddr, &th->daddr, 4);
		__entry->sport = ntohs(th->sport);
		__entry->dport = ntohs(th->dport);
		__entry->type = th->type;
		__entry->flags = th->flags;
	),
	TP_printk("dev=%s skbaddr=%p len=%u %pI4:%u -> %pI4:%u type=%s flags=%#x",
		  __entry->dev, __entry->skbaddr, __entry->len,
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport, show_toy_type(__entry->type), __entry->flags)
);

/* protocol -> device: a frame with its header, handed to a device */
DEFINE_EVENT(toy_frame, toy_xmit,
	TP_PROTO(const struct sk_buff *skb, const struct net_device *dev),
	TP_ARGS(skb, dev)
);

/* device -> protocol: a frame received, and what validation made of it */
TRACE_EVENT(toy_rcv,
	TP_PROTO(const struct sk_buff *skb, enum toy_rx_verdict verdict),
	TP_ARGS(skb, verdict),
	TP_STRUCT__entry(
		__field(const void *, skbaddr)
		__array(char, dev, IFNAMSIZ)
		__field(unsigned int, len)
		__array(u8, saddr, 4)
		__array(u8, daddr, 4)
		__field(u16, sport)
		__field(u16, dport)
		__field(u8, type)
		__field(int, verdict)
	),
	TP_fast_assign(
		/* a refused header may be short: show its fields only if valid */
		const struct toyhdr *th = verdict == TOY_RX_OK ? toy_hdr(skb) : NULL;

		__entry->skbaddr = skb;
		strscpy(__entry->dev, skb->dev->name, IFNAMSIZ);
		__entry->len = skb->len;
		memset(__entry->saddr, 0, 4);
		memset(__entry->daddr, 0, 4);
		if (th) {
			memcpy(__entry->saddr, &th->saddr, 4);
			memcpy(__entry->daddr, &th->daddr, 4);
		}
		__entry->sport = th ? ntohs(th->sport) : 0;
		__entry->dport = th ? ntohs(th->dport) : 0;
		__entry->type = th ? th->type : 0;
		__entry->verdict = verdict;
	),
	TP_printk("dev=%s skbaddr=%p len=%u %pI4:%u -> %pI4:%u type=%s verdict=%s",
		  __entry->dev, __entry->skbaddr, __entry->len,
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport, show_toy_type(__entry->type),
		  show_toy_verdict(__entry->verdict))
);

/* protocol -> socket: a payload queued for the user, or refused (err) */
TRACE_EVENT(toy_deliver,
	TP_PROTO(const struct sock *sk, unsigned int len, int err),
	TP_ARGS(sk, len, err),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(u16, sport)
		__field(u16, dport)
		__field(u8, type)
		__field(unsigned int, len)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->skaddr = sk;
		__entry->sport = ntohs(toy_sk(sk)->sport);
		__entry->dport = ntohs(toy_sk(sk)->dport);
		__entry->type = toy_type_of(sk);
		__entry->len = len;
		__entry->err = err;
	),
	TP_printk("skaddr=%p sport=%u dport=%u type=%s len=%u err=%d",
		  __entry->skaddr, __entry->sport, __entry->dport,
		  show_toy_type(__entry->type), __entry->len, __entry->err)
);

/* A stream's state change; the field names of sock:inet_sock_set_state. */
TRACE_EVENT(toy_set_state,
	TP_PROTO(const struct sock *sk, int oldstate, int newstate),
	TP_ARGS(sk, oldstate, newstate),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(int, oldstate)
		__field(int, newstate)
		__field(u16, sport)
		__field(u16, dport)
		__array(u8, saddr, 4)
		__array(u8, daddr, 4)
	),
	TP_fast_assign(
		__entry->skaddr = sk;
		__entry->oldstate = oldstate;
		__entry->newstate = newstate;
		__entry->sport = ntohs(toy_sk(sk)->sport);
		__entry->dport = ntohs(toy_sk(sk)->dport);
		memcpy(__entry->saddr, &toy_sk(sk)->rcv_saddr, 4);
		memcpy(__entry->daddr, &toy_sk(sk)->daddr, 4);
	),
	TP_printk("skaddr=%p sport=%u dport=%u saddr=%pI4 daddr=%pI4 oldstate=%s newstate=%s",
		  __entry->skaddr, __entry->sport, __entry->dport,
		  __entry->saddr, __entry->daddr,
		  show_toy_state(__entry->oldstate),
		  show_toy_state(__entry->newstate))
);

/* A segment sent again; as tcp:tcp_retransmit_skb. */
TRACE_EVENT(toy_retransmit,
	TP_PROTO(const struct sock *sk, const struct sk_buff *skb, u32 seq),
	TP_ARGS(sk, skb, seq),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(const void *, skbaddr)
		__field(int, state)
		__field(u16, sport)
		__field(u16, dport)
		__field(u32, seq)
		__field(unsigned int, len)
	),
	TP_fast_assign(
		__entry->skaddr = sk;
		__entry->skbaddr = skb;
		__entry->state = sk->sk_state;
		__entry->sport = ntohs(toy_sk(sk)->sport);
		__entry->dport = ntohs(toy_sk(sk)->dport);
		__entry->seq = seq;
		__entry->len = skb->len;
	),
	TP_printk("skaddr=%p skbaddr=%p sport=%u dport=%u state=%s seq=%u len=%u",
		  __entry->skaddr, __entry->skbaddr, __entry->sport,
		  __entry->dport, show_toy_state(__entry->state),
		  __entry->seq, __entry->len)
);

/* A neighbour cache entry's new state (enum toy_neigh_state). */
TRACE_EVENT(toy_neigh_state,
	TP_PROTO(__be32 addr, const struct net_device *dev, int oldstate,
		 int newstate),
	TP_ARGS(addr, dev, oldstate, newstate),
	TP_STRUCT__entry(
		__array(u8, addr, 4)
		__array(char, dev, IFNAMSIZ)
		__field(int, oldstate)
		__field(int, newstate)
	),
	TP_fast_assign(
		memcpy(__entry->addr, &addr, 4);
		strscpy(__entry->dev, dev ? dev->name : "-", IFNAMSIZ);
		__entry->oldstate = oldstate;
		__entry->newstate = newstate;
	),
	TP_printk("addr=%pI4 dev=%s oldstate=%s newstate=%s",
		  __entry->addr, __entry->dev,
		  show_toy_neigh_state(__entry->oldstate),
		  show_toy_neigh_state(__entry->newstate))
);

#endif /* _TOY_TRACE_H */

/* Outside the guard: define_trace.h reads this file again. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE toy_trace
#include <trace/define_trace.h>
