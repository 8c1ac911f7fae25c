// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the AF_TOY KUnit suites: test-managed sockets and sk_buffs,
 * frame building and injection into the receive handler, port table and
 * protocol counter inspection.  No tests of its own; the module metadata
 * of af_toy_kunit.ko lives here.
 */

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <net/checksum.h>
#include <net/net_namespace.h>

#include "toy_kunit.h"

/* ---- resources --------------------------------------------------------- */

static int toy_kunit_res_init(struct kunit_resource *res, void *obj)
{
	res->data = obj;
	return 0;
}

static void toy_kunit_sock_free(struct kunit_resource *res)
{
	sock_release(res->data);
}

static void toy_kunit_skb_free(struct kunit_resource *res)
{
	kfree_skb(res->data);	/* NULL once handed to the stack */
}

static void toy_kunit_net_free(struct kunit_resource *res)
{
	put_net(res->data);
}

struct toy_kunit_range {
	struct toy_net	*tn;
	u32		saved;
};

static void toy_kunit_range_free(struct kunit_resource *res)
{
	struct toy_kunit_range *r = res->data;

	WRITE_ONCE(r->tn->port_range, r->saved);
	kfree(r);
}

/* Matches the resource freeing object @data with @match_data's free. */
struct toy_kunit_match {
	kunit_resource_free_t	free;
	void			*data;
};

static bool toy_kunit_match(struct kunit *test, struct kunit_resource *res,
			    void *match_data)
{
	const struct toy_kunit_match *m = match_data;

	return res->free == m->free && res->data == m->data;
}

/* ---- sockets ----------------------------------------------------------- */

/**
 * toy_kunit_socket_net() - a test-managed AF_TOY datagram socket
 * @test: the test; the socket is released when it ends
 * @net: the namespace to create it in
 *
 * Blocking receives on it time out after TOY_KUNIT_WAIT.
 *
 * Return: the socket; the test is aborted if it cannot be created.
 */
struct socket *toy_kunit_socket_net(struct kunit *test, struct net *net)
{
	return toy_kunit_socket_type(test, net, SOCK_DGRAM);
}

/* A test-managed AF_TOY socket of @type (SOCK_DGRAM, SOCK_STREAM, ...). */
struct socket *toy_kunit_socket_type(struct kunit *test, struct net *net,
				     int type)
{
	struct socket *sock;
	int err;

	err = sock_create_kern(net, toy_family, type, 0, &sock);
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "sock_create_kern(family %d, type %d)",
			    toy_family, type);
	if (!kunit_alloc_resource(test, toy_kunit_res_init,
				  toy_kunit_sock_free, GFP_KERNEL, sock)) {
		sock_release(sock);
		KUNIT_ASSERT_FAILURE(test, "no memory for a resource");
	}
	sock->sk->sk_rcvtimeo = TOY_KUNIT_WAIT;
	return sock;
}

struct socket *toy_kunit_socket(struct kunit *test)
{
	return toy_kunit_socket_net(test, &init_net);
}

/* Release a test-managed socket now rather than at the end of the test. */
void toy_kunit_close(struct kunit *test, struct socket *sock)
{
	struct toy_kunit_match m = { toy_kunit_sock_free, sock };

	KUNIT_EXPECT_EQ(test, kunit_destroy_resource(test, toy_kunit_match, &m),
			0);
}

/* An AF_TOY address; @addr and @port in host byte order. */
struct sockaddr_toy toy_kunit_sa(u32 addr, u16 port)
{
	struct sockaddr_toy sa = {
		.stoy_family	= toy_family,
		.stoy_port	= htons(port),
		.stoy_addr	= htonl(addr),
	};

	return sa;
}

int toy_kunit_bind(struct socket *sock, u32 addr, u16 port)
{
	struct sockaddr_toy sa = toy_kunit_sa(addr, port);

	return kernel_bind(sock, (struct sockaddr *)&sa, sizeof(sa));
}

int toy_kunit_connect(struct socket *sock, u32 addr, u16 port)
{
	struct sockaddr_toy sa = toy_kunit_sa(addr, port);

	return kernel_connect(sock, (struct sockaddr *)&sa, sizeof(sa), 0);
}

/* sendto(); never blocks.  Return: bytes sent or a negative errno. */
int toy_kunit_send(struct socket *sock, u32 addr, u16 port,
		   const void *buf, size_t len)
{
	struct sockaddr_toy sa = toy_kunit_sa(addr, port);
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name	= &sa,
		.msg_namelen	= sizeof(sa),
		.msg_flags	= MSG_DONTWAIT,
	};

	return kernel_sendmsg(sock, &msg, &iov, 1, len);
}

/*
 * recvfrom(); @flags 0 waits up to TOY_KUNIT_WAIT, MSG_DONTWAIT not at all.
 * @from (may be NULL) gets the source address.
 */
int toy_kunit_recv(struct socket *sock, void *buf, size_t len,
		   struct sockaddr_toy *from, int flags)
{
	struct sockaddr_toy sa = {};
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name	= &sa,
		.msg_namelen	= sizeof(sa),
	};
	int ret;

	ret = kernel_recvmsg(sock, &msg, &iov, 1, len, flags);
	if (from)
		*from = sa;
	return ret;
}

/* The bound local port, host byte order; 0 while unbound. */
u16 toy_kunit_sport(const struct socket *sock)
{
	return ntohs(READ_ONCE(toy_sk(sock->sk)->sport));
}

/*
 * Wait until @n datagrams are queued on @sock: a frame sent on toy0 is
 * received in softirq, normally before dev_queue_xmit() returns, but
 * possibly later in ksoftirqd.
 */
bool toy_kunit_wait_queued(struct socket *sock, unsigned int n)
{
	unsigned long end = jiffies + TOY_KUNIT_WAIT;

	while (skb_queue_len(&sock->sk->sk_receive_queue) < n) {
		if (time_after(jiffies, end))
			return false;
		usleep_range(100, 200);
	}
	return true;
}

/* ---- the port table ---------------------------------------------------- */

/**
 * toy_kunit_port_users() - look at one entry of the datagram port table
 * @tn: the namespace
 * @port: the port, host byte order
 * @sk: a socket to look for on the entry's list (may be NULL)
 * @found: set to whether @sk is on it (may be NULL)
 *
 * Return: -1 if the port has no entry, else how many sockets it lists.
 */
int toy_kunit_port_users(struct toy_net *tn, u16 port,
			 const struct sock *sk, bool *found)
{
	struct toy_table *tbl = &tn->tables[TOY_TYPE_DGRAM - 1];
	struct toy_port *tp;
	struct sock *sk2;
	int n = -1;

	if (found)
		*found = false;
	xa_lock_bh(&tbl->ports);
	tp = xa_load(&tbl->ports, port);
	if (tp) {
		n = 0;
		hlist_for_each_entry(sk2, &tp->socks, sk_bind_node) {
			n++;
			if (found && sk2 == sk)
				*found = true;
		}
	}
	xa_unlock_bh(&tbl->ports);
	return n;
}

/* Set the ephemeral range of @tn until the test ends. */
void toy_kunit_set_port_range(struct kunit *test, struct toy_net *tn,
			      u16 low, u16 high)
{
	struct toy_kunit_range *r;

	r = kmalloc(sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->tn = tn;
	r->saved = READ_ONCE(tn->port_range);
	if (!kunit_alloc_resource(test, toy_kunit_res_init,
				  toy_kunit_range_free, GFP_KERNEL, r)) {
		kfree(r);
		KUNIT_ASSERT_FAILURE(test, "no memory for a resource");
	}
	WRITE_ONCE(tn->port_range, (u32)high << 16 | low);
}

/*
 * Another network namespace, held until the test ends; the test is
 * skipped if there is none.  A module cannot create one (copy_net_ns() is
 * not exported), so scripts/guest/kunit-guest.sh keeps a process in a new one
 * while the suites run.  (Not a module parameter naming that process:
 * 6.1 runs a module's suites before it parses the module's parameters.)
 * Create sockets in the namespace only after calling this, so that they
 * are released before the reference is dropped.
 */
struct net *toy_kunit_other_net(struct kunit *test)
{
	struct net *net, *found = NULL;

	down_read(&net_rwsem);
	for_each_net(net) {
		if (net != &init_net && maybe_get_net(net)) {
			found = net;
			break;
		}
	}
	up_read(&net_rwsem);
	if (!found)
		kunit_skip(test, "needs a second netns (kunit-guest.sh makes one)");
	if (!kunit_alloc_resource(test, toy_kunit_res_init,
				  toy_kunit_net_free, GFP_KERNEL, found)) {
		put_net(found);
		KUNIT_ASSERT_FAILURE(test, "no memory for a resource");
	}
	return found;
}

/* ---- frames ------------------------------------------------------------ */

/* A unicast datagram flow from 127.0.0.1:@sport to 127.0.0.1:@dport. */
struct toy_flow toy_kunit_flow(u16 sport, u16 dport)
{
	struct toy_flow fl = {
		.saddr	= htonl(TOY_ADDR_LOOPBACK),
		.daddr	= htonl(TOY_ADDR_LOOPBACK),
		.sport	= htons(sport),
		.dport	= htons(dport),
		.type	= TOY_TYPE_DGRAM,
		.flags	= TOY_F_DATA,
	};

	return fl;
}

/* A recognisable payload: differs per byte and per @seed. */
void toy_kunit_fill(u8 *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (u8)(i * 7 + seed * 13 + 1);
}

/* Make @skb test-managed: it is freed at the end unless disowned. */
struct sk_buff *toy_kunit_skb_adopt(struct kunit *test, struct sk_buff *skb)
{
	if (!kunit_alloc_resource(test, toy_kunit_res_init,
				  toy_kunit_skb_free, GFP_KERNEL, skb)) {
		kfree_skb(skb);
		KUNIT_ASSERT_FAILURE(test, "no memory for a resource");
	}
	return skb;
}

/* @skb is about to be handed to code that consumes it: stop managing it. */
void toy_kunit_skb_disown(struct kunit *test, struct sk_buff *skb)
{
	struct toy_kunit_match m = { toy_kunit_skb_free, skb };
	struct kunit_resource *res;

	res = kunit_find_resource(test, toy_kunit_match, &m);
	if (!res)
		return;
	res->data = NULL;
	kunit_remove_resource(test, res);
	kunit_put_resource(res);
}

/**
 * toy_kunit_frame_offloaded() - build a frame exactly as the module sends it
 * @test: the test; the frame is test-managed
 * @fl: its addressing
 * @payload: @len bytes of payload
 * @len: payload length
 *
 * toy_skb_alloc_ctl() gives a header-only frame, so tailroom for the
 * payload is added before toy_skb_push_hdr() puts the header in front.
 * Its checksum is left to the device (CHECKSUM_PARTIAL, check zero).
 *
 * Return: a linear frame, data at the toy header, dev toy0.
 */
struct sk_buff *toy_kunit_frame_offloaded(struct kunit *test,
					  const struct toy_flow *fl,
					  const void *payload, size_t len)
{
	struct net_device *dev = toy_kunit_dev();
	struct sk_buff *skb;

	skb = toy_skb_alloc_ctl(dev, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	toy_kunit_skb_adopt(test, skb);
	if (skb_tailroom(skb) < len)
		KUNIT_ASSERT_EQ(test, pskb_expand_head(skb, 0,
						       len - skb_tailroom(skb),
						       GFP_KERNEL), 0);
	skb_put_data(skb, payload, len);
	toy_skb_push_hdr(skb, fl);
	skb->dev = dev;
	return skb;
}

/**
 * toy_kunit_frame() - build a frame as it comes off a wire
 * @test: the test; the frame is test-managed
 * @fl: its addressing
 * @payload: @len bytes of payload
 * @len: payload length
 *
 * toy_kunit_frame_offloaded(), then the checksum the module leaves to the
 * device filled in with skb_checksum_help(), as a device without offload
 * (or netem, before it corrupts a byte) would: the receiver verifies it,
 * and a test that changes a byte of the frame is caught.
 *
 * Return: a linear frame, data at the toy header, dev toy0.
 */
struct sk_buff *toy_kunit_frame(struct kunit *test, const struct toy_flow *fl,
				const void *payload, size_t len)
{
	struct sk_buff *skb = toy_kunit_frame_offloaded(test, fl, payload, len);

	KUNIT_ASSERT_EQ(test, skb_checksum_help(skb), 0);
	return skb;
}

/* Change one header field (or payload byte) of a linear frame. */
void toy_kunit_set_field(struct sk_buff *skb, enum toy_kunit_field field,
			 u32 value)
{
	struct toyhdr *th = (struct toyhdr *)skb->data;

	switch (field) {
	case TOY_FIELD_NONE:
		break;
	case TOY_FIELD_VERSION:
		th->version = value;
		break;
	case TOY_FIELD_TYPE:
		th->type = value;
		break;
	case TOY_FIELD_FLAGS:
		th->flags = value;
		break;
	case TOY_FIELD_RESERVED:
		th->reserved = value;
		break;
	case TOY_FIELD_RESERVED2:
		th->reserved2 = htons(value);
		break;
	case TOY_FIELD_LEN:
		th->len = htons(value);
		break;
	case TOY_FIELD_SPORT:
		th->sport = htons(value);
		break;
	case TOY_FIELD_DPORT:
		th->dport = htons(value);
		break;
	case TOY_FIELD_DADDR:
		th->daddr = htonl(value);
		break;
	case TOY_FIELD_CHECK:
		th->check ^= (__force __sum16)htons(value);
		break;
	case TOY_FIELD_PAYLOAD:
		skb->data[TOY_HDR_LEN] ^= value;
		break;
	}
}

/*
 * Recompute the checksum of a linear frame after a change, so that only
 * the change itself can make the receiver refuse it.  Computed here with
 * ip_compute_csum(), independently of the module's own code.
 */
void toy_kunit_fix_csum(struct sk_buff *skb)
{
	struct toyhdr *th = (struct toyhdr *)skb->data;

	th->check = 0;
	th->check = ip_compute_csum(skb->data, skb->len);
	skb->ip_summed = CHECKSUM_NONE;
}

/*
 * Free tracking: the destructor runs exactly once when the stack frees the
 * frame, or when a socket takes ownership of it (skb_set_owner_r() orphans
 * it first).  KUnit runs one test case at a time, so one counter will do.
 */
static atomic_t toy_kunit_freed_count = ATOMIC_INIT(0);

static void toy_kunit_skb_destructor(struct sk_buff *skb)
{
	atomic_inc(&toy_kunit_freed_count);
}

void toy_kunit_track_free(struct sk_buff *skb)
{
	atomic_set(&toy_kunit_freed_count, 0);
	skb->destructor = toy_kunit_skb_destructor;
}

int toy_kunit_freed(void)
{
	return atomic_read(&toy_kunit_freed_count);
}

/**
 * toy_kunit_inject() - hand a frame to AF_TOY's receive handler
 * @test: the test; @skb stops being test-managed
 * @skb: the frame, data at the toy header
 * @dev: the device it "arrived" on
 *
 * Calls the packet_type handler as __netif_receive_skb() does: in softirq
 * context (bottom halves off) under RCU.
 *
 * Return: the handler's NET_RX_SUCCESS or NET_RX_DROP.
 */
int toy_kunit_inject(struct kunit *test, struct sk_buff *skb,
		     struct net_device *dev)
{
	int ret;

	toy_kunit_skb_disown(test, skb);
	skb->dev = dev;
	skb_reset_mac_header(skb);
	local_bh_disable();
	rcu_read_lock();
	ret = toy_packet_type.func(skb, dev, &toy_packet_type, dev);
	rcu_read_unlock();
	local_bh_enable();
	return ret;
}

/* ---- protocol counters ------------------------------------------------- */

/* Sum the per-cpu counters, as /proc/net/toy_snmp does. */
void toy_kunit_mib_read(struct toy_net *tn, struct toy_kunit_mib *m)
{
	int cpu, i;

	memset(m, 0, sizeof(*m));
	for_each_possible_cpu(cpu)
		for (i = 0; i < TOY_MIB_MAX; i++)
			m->v[i] += per_cpu_ptr(tn->mib, cpu)->mibs[i];
}

/* Every counter must have grown by exactly @delta since @before. */
void toy_kunit_expect_mib(struct kunit *test, struct toy_net *tn,
			  const struct toy_kunit_mib *before,
			  const struct toy_kunit_mib *delta)
{
	struct toy_kunit_mib now;
	int i;

	toy_kunit_mib_read(tn, &now);
	for (i = 0; i < TOY_MIB_MAX; i++)
		KUNIT_EXPECT_EQ_MSG(test, now.v[i] - before->v[i], delta->v[i],
				    "counter %d (%s)", i,
				    toy_mib_names[i] ?: "?");
}

/*
 * Wait until counter @item of @tn reaches @target, which the receive
 * softirq may do after the sender has returned.  Return: its value.
 */
unsigned long toy_kunit_wait_mib(struct toy_net *tn, int item,
				 unsigned long target)
{
	unsigned long end = jiffies + TOY_KUNIT_WAIT;
	struct toy_kunit_mib m;

	for (;;) {
		toy_kunit_mib_read(tn, &m);
		if (m.v[item] >= target || time_after(jiffies, end))
			return m.v[item];
		usleep_range(100, 200);
	}
}

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("AF_TOY white-box KUnit tests");
MODULE_IMPORT_NS(AF_TOY_KUNIT);
