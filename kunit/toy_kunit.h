/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the AF_TOY KUnit suites (af_toy_kunit.ko).
 *
 * Everything a test makes (sockets, sk_buffs, a borrowed namespace, a
 * changed port range) is registered as a KUnit resource, so it is undone
 * when the test case ends, even when an assertion aborted it.  KUnit frees
 * resources in reverse order of creation.
 */
#ifndef _TOY_KUNIT_H
#define _TOY_KUNIT_H

#include <kunit/test.h>
#include <linux/net.h>
#include <linux/skbuff.h>

#include "af_toy.h"

/* How long a test waits for something the stack does asynchronously. */
#define TOY_KUNIT_WAIT		(2 * HZ)

/* Ports each suite binds explicitly; outside the ephemeral range. */
#define TOY_KUNIT_PORT_PORT	21000
#define TOY_KUNIT_DEMUX_PORT	22000
#define TOY_KUNIT_ACCT_PORT	23000
#define TOY_KUNIT_NETDEV_PORT	24000
#define TOY_KUNIT_STREAM_PORT	25000
#define TOY_KUNIT_LOSS_PORT	26000
#define TOY_KUNIT_LISTEN_PORT	27000
#define TOY_KUNIT_DATA_PORT	28000
#define TOY_KUNIT_RETRANS_PORT	29000
#define TOY_KUNIT_CLOSE_PORT	30000

/* The namespace every suite runs in, and its toy0. */
static inline struct toy_net *toy_kunit_tn(void)
{
	return toy_pernet(&init_net);
}

static inline struct net_device *toy_kunit_dev(void)
{
	return toy_kunit_tn()->dev;
}

/* Sockets */
struct socket *toy_kunit_socket_net(struct kunit *test, struct net *net);
struct socket *toy_kunit_socket_type(struct kunit *test, struct net *net,
				     int type);
struct socket *toy_kunit_socket(struct kunit *test);
void toy_kunit_close(struct kunit *test, struct socket *sock);
struct sockaddr_toy toy_kunit_sa(u32 addr, u16 port);
int toy_kunit_bind(struct socket *sock, u32 addr, u16 port);
int toy_kunit_connect(struct socket *sock, u32 addr, u16 port);
int toy_kunit_send(struct socket *sock, u32 addr, u16 port,
		   const void *buf, size_t len);
int toy_kunit_recv(struct socket *sock, void *buf, size_t len,
		   struct sockaddr_toy *from, int flags);
u16 toy_kunit_sport(const struct socket *sock);
bool toy_kunit_wait_queued(struct socket *sock, unsigned int n);

/* The port table */
int toy_kunit_port_users(struct toy_net *tn, u16 port,
			 const struct sock *sk, bool *found);
void toy_kunit_set_port_range(struct kunit *test, struct toy_net *tn,
			      u16 low, u16 high);
struct net *toy_kunit_other_net(struct kunit *test);

/* Frames */
enum toy_kunit_field {
	TOY_FIELD_NONE,
	TOY_FIELD_VERSION,	/* set the field to value */
	TOY_FIELD_TYPE,
	TOY_FIELD_FLAGS,
	TOY_FIELD_RESERVED,
	TOY_FIELD_RESERVED2,
	TOY_FIELD_LEN,
	TOY_FIELD_SPORT,
	TOY_FIELD_DPORT,
	TOY_FIELD_DADDR,
	TOY_FIELD_CHECK,	/* XOR value into the checksum */
	TOY_FIELD_PAYLOAD,	/* XOR value into the first payload byte */
};

struct toy_flow toy_kunit_flow(u16 sport, u16 dport);
void toy_kunit_fill(u8 *buf, size_t len, unsigned int seed);
struct sk_buff *toy_kunit_skb_adopt(struct kunit *test, struct sk_buff *skb);
void toy_kunit_skb_disown(struct kunit *test, struct sk_buff *skb);
struct sk_buff *toy_kunit_frame_offloaded(struct kunit *test,
					  const struct toy_flow *fl,
					  const void *payload, size_t len);
struct sk_buff *toy_kunit_frame(struct kunit *test, const struct toy_flow *fl,
				const void *payload, size_t len);
void toy_kunit_set_field(struct sk_buff *skb, enum toy_kunit_field field,
			 u32 value);
void toy_kunit_fix_csum(struct sk_buff *skb);
void toy_kunit_track_free(struct sk_buff *skb);
int toy_kunit_freed(void);
int toy_kunit_inject(struct kunit *test, struct sk_buff *skb,
		     struct net_device *dev);

/* Protocol counters (/proc/net/toy_snmp) */
struct toy_kunit_mib {
	unsigned long v[TOY_MIB_MAX];
};

void toy_kunit_mib_read(struct toy_net *tn, struct toy_kunit_mib *m);
void toy_kunit_expect_mib(struct kunit *test, struct toy_net *tn,
			  const struct toy_kunit_mib *before,
			  const struct toy_kunit_mib *delta);
unsigned long toy_kunit_wait_mib(struct toy_net *tn, int item,
				 unsigned long target);

#endif /* _TOY_KUNIT_H */
