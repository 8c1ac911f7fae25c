// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toy_netdev": the toy0 device (toy_netdev.c).
 *
 * dev_queue_xmit() on toy0 loops a frame back: tx and rx statistics grow
 * by exactly one frame and its length, and the frame is delivered (or, if
 * corrupt, refused by the protocol, not by the device).  Also: how toy0 is
 * set up, toy_dev_is_toy(), and sending while toy0 is down.
 */

#include <linux/if_arp.h>
#include <linux/rtnetlink.h>

#include "toy_kunit.h"

#define PORT(n)		(TOY_KUNIT_NETDEV_PORT + (n))
#define PEER(n)		(TOY_KUNIT_NETDEV_PORT + 100 + (n))
#define LO		TOY_ADDR_LOOPBACK

/* Expect @after - @before to be exactly @packets frames of @bytes in all. */
static void toy_netdev_expect_stats(struct kunit *test,
				    const struct rtnl_link_stats64 *before,
				    const struct rtnl_link_stats64 *after,
				    u64 packets, u64 bytes)
{
	KUNIT_EXPECT_EQ(test, after->tx_packets - before->tx_packets, packets);
	KUNIT_EXPECT_EQ(test, after->tx_bytes - before->tx_bytes, bytes);
	KUNIT_EXPECT_EQ(test, after->rx_packets - before->rx_packets, packets);
	KUNIT_EXPECT_EQ(test, after->rx_bytes - before->rx_bytes, bytes);
	KUNIT_EXPECT_EQ(test, after->tx_dropped - before->tx_dropped, 0);
	KUNIT_EXPECT_EQ(test, after->rx_dropped - before->rx_dropped, 0);
	KUNIT_EXPECT_EQ(test, after->tx_errors - before->tx_errors, 0);
	KUNIT_EXPECT_EQ(test, after->rx_errors - before->rx_errors, 0);
}

static const unsigned int toy_netdev_sizes[] = { 0, 100, 1500, 20000 };

static void toy_netdev_size_desc(const unsigned int *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u byte payload", *size);
}

KUNIT_ARRAY_PARAM(toy_netdev_size, toy_netdev_sizes, toy_netdev_size_desc);

/* A frame built by hand and given to dev_queue_xmit() comes back up. */
static void toy_netdev_xmit_loop(struct kunit *test)
{
	const unsigned int *size = test->param_value;
	struct toy_flow fl = toy_kunit_flow(PEER(1), PORT(1));
	struct rtnl_link_stats64 before, after;
	struct net_device *dev = toy_kunit_dev();
	struct socket *rx = toy_kunit_socket(test);
	struct sockaddr_toy from;
	struct sk_buff *skb;
	unsigned int len;
	u8 *out, *in;

	out = kunit_kmalloc(test, *size + 1, GFP_KERNEL);
	in = kunit_kmalloc(test, *size + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, out);
	KUNIT_ASSERT_NOT_NULL(test, in);
	toy_kunit_fill(out, *size, 5);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(rx, LO, PORT(1)), 0);

	skb = toy_kunit_frame(test, &fl, out, *size);
	len = skb->len;
	KUNIT_EXPECT_EQ(test, len, TOY_HDR_LEN + *size);
	dev_get_stats(dev, &before);
	toy_kunit_skb_disown(test, skb);
	KUNIT_EXPECT_EQ(test, dev_queue_xmit(skb), NET_XMIT_SUCCESS);
	dev_get_stats(dev, &after);
	toy_netdev_expect_stats(test, &before, &after, 1, len);

	KUNIT_ASSERT_EQ(test, toy_kunit_recv(rx, in, *size + 1, &from, 0),
			(int)*size);
	KUNIT_EXPECT_EQ(test, memcmp(in, out, *size), 0);
	KUNIT_EXPECT_EQ(test, ntohs(from.stoy_port), PEER(1));
}

/* sendmsg() puts exactly one frame of header + payload on toy0. */
static void toy_netdev_sendmsg(struct kunit *test)
{
	struct rtnl_link_stats64 before, after;
	struct net_device *dev = toy_kunit_dev();
	struct socket *tx = toy_kunit_socket(test);
	struct socket *rx = toy_kunit_socket(test);
	u8 out[77], in[78];

	toy_kunit_fill(out, sizeof(out), 6);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(rx, LO, PORT(2)), 0);
	dev_get_stats(dev, &before);
	KUNIT_ASSERT_EQ(test, toy_kunit_send(tx, LO, PORT(2), out, sizeof(out)),
			(int)sizeof(out));
	dev_get_stats(dev, &after);
	toy_netdev_expect_stats(test, &before, &after, 1,
				TOY_HDR_LEN + sizeof(out));
	KUNIT_EXPECT_EQ(test, toy_kunit_recv(rx, in, sizeof(in), NULL, 0),
			(int)sizeof(out));
	KUNIT_EXPECT_EQ(test, memcmp(in, out, sizeof(out)), 0);
}

/* A corrupt frame is carried by the device and refused by the protocol. */
static void toy_netdev_corrupt_frame(struct kunit *test)
{
	struct toy_flow fl = toy_kunit_flow(PEER(3), PORT(3));
	struct rtnl_link_stats64 before, after;
	struct toy_kunit_mib mib_before, delta = {};
	struct net_device *dev = toy_kunit_dev();
	struct socket *rx = toy_kunit_socket(test);
	u8 out[40] = {}, in[40];
	struct sk_buff *skb;
	unsigned int len;

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(rx, LO, PORT(3)), 0);
	skb = toy_kunit_frame(test, &fl, out, sizeof(out));
	toy_kunit_set_field(skb, TOY_FIELD_PAYLOAD, 0x10);
	len = skb->len;
	dev_get_stats(dev, &before);
	toy_kunit_mib_read(toy_kunit_tn(), &mib_before);
	toy_kunit_skb_disown(test, skb);
	KUNIT_EXPECT_EQ(test, dev_queue_xmit(skb), NET_XMIT_SUCCESS);
	dev_get_stats(dev, &after);
	toy_netdev_expect_stats(test, &before, &after, 1, len);

	/* Received in softirq: normally before dev_queue_xmit() returned. */
	toy_kunit_wait_mib(toy_kunit_tn(), TOY_MIB_INCSUMERRORS,
			   mib_before.v[TOY_MIB_INCSUMERRORS] + 1);
	KUNIT_EXPECT_EQ(test, toy_kunit_recv(rx, in, sizeof(in), NULL,
					     MSG_DONTWAIT), -EAGAIN);
	delta.v[TOY_MIB_INCSUMERRORS] = 1;
	delta.v[TOY_MIB_INERRORS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &mib_before, &delta);
}

/* toy_dev_is_toy() tells toy devices from the rest. */
static const bool toy_netdev_kinds[] = { true, false };

static void toy_netdev_kind_desc(const bool *toy, char *desc)
{
	strscpy(desc, *toy ? "toy0" : "lo", KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_netdev_kind, toy_netdev_kinds, toy_netdev_kind_desc);

static void toy_netdev_is_toy(struct kunit *test)
{
	const bool *toy = test->param_value;
	struct net_device *dev;

	dev = *toy ? toy_kunit_dev() : init_net.loopback_dev;
	KUNIT_ASSERT_NOT_NULL(test, dev);
	KUNIT_EXPECT_EQ(test, toy_dev_is_toy(dev), *toy);
}

/*
 * Every namespace has its own toy0, which is a toy device too.  (Not a
 * parameter of the test above: 6.1 does not report a skipped parameter
 * as skipped.)
 */
static void toy_netdev_other_ns(struct kunit *test)
{
	struct net *net = toy_kunit_other_net(test);
	struct net_device *dev = toy_pernet(net)->dev;

	KUNIT_ASSERT_NOT_NULL(test, dev);
	KUNIT_EXPECT_PTR_NE(test, dev, toy_kunit_dev());
	KUNIT_EXPECT_PTR_EQ(test, dev_net(dev), net);
	KUNIT_EXPECT_STREQ(test, dev->name, "toy0");
	KUNIT_EXPECT_TRUE(test, netif_running(dev));
	KUNIT_EXPECT_TRUE(test, toy_dev_is_toy(dev));
	KUNIT_EXPECT_FALSE(test, toy_dev_is_toy(net->loopback_dev));
}

/*
 * toy0: up, running, no ARP, no link layer, MTU 65535 (at least a header
 * and TOY_MIN_PAYLOAD), in its netns.
 */
static void toy_netdev_properties(struct kunit *test)
{
	struct net_device *dev = toy_kunit_dev();
	struct net_device *byname;

	KUNIT_ASSERT_NOT_NULL(test, dev);
	KUNIT_EXPECT_STREQ(test, dev->name, "toy0");
	KUNIT_EXPECT_TRUE(test, dev->flags & IFF_UP);
	KUNIT_EXPECT_TRUE(test, dev->flags & IFF_NOARP);
	KUNIT_EXPECT_TRUE(test, netif_running(dev));
	KUNIT_EXPECT_TRUE(test, netif_carrier_ok(dev));
	KUNIT_EXPECT_EQ(test, dev->mtu, 65535);
	KUNIT_EXPECT_EQ(test, dev->max_mtu, 65535);
	/* A header and a useful payload: a stream never has an MSS of 0. */
	KUNIT_EXPECT_EQ(test, dev->min_mtu, TOY_HDR_LEN + TOY_MIN_PAYLOAD);
	KUNIT_EXPECT_EQ(test, dev->type, ARPHRD_VOID);
	KUNIT_EXPECT_EQ(test, dev->hard_header_len, 0);
	/* The node address: 4 bytes, none (0.0.0.0) until one is set. */
	KUNIT_EXPECT_EQ(test, dev->addr_len, TOY_ADDR_LEN);
	KUNIT_EXPECT_FALSE(test, memchr_inv(dev->dev_addr, 0, TOY_ADDR_LEN));
	KUNIT_EXPECT_FALSE(test, memchr_inv(dev->broadcast, 0xff, TOY_ADDR_LEN));
	KUNIT_EXPECT_PTR_EQ(test, dev_net(dev), &init_net);

	byname = dev_get_by_name(&init_net, "toy0");
	KUNIT_EXPECT_PTR_EQ(test, byname, dev);
	if (byname)
		dev_put(byname);
}

static void toy_netdev_reopen(struct kunit_resource *res)
{
	struct net_device *dev = res->data;

	rtnl_lock();
	dev_open(dev, NULL);
	rtnl_unlock();
}

static int toy_netdev_res_init(struct kunit_resource *res, void *dev)
{
	res->data = dev;
	return 0;
}

/* With toy0 down, sending fails with ENETDOWN; up again, it works. */
static void toy_netdev_down(struct kunit *test)
{
	struct net_device *dev = toy_kunit_dev();
	struct socket *tx = toy_kunit_socket(test);
	struct socket *rx = toy_kunit_socket(test);
	u8 byte = 1;

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(rx, LO, PORT(4)), 0);
	KUNIT_ASSERT_NOT_NULL(test,
			      kunit_alloc_resource(test, toy_netdev_res_init,
						   toy_netdev_reopen,
						   GFP_KERNEL, dev));
	rtnl_lock();
	dev_close(dev);
	rtnl_unlock();
	KUNIT_EXPECT_FALSE(test, netif_running(dev));
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, LO, PORT(4), &byte, 1),
			-ENETDOWN);

	rtnl_lock();
	KUNIT_EXPECT_EQ(test, dev_open(dev, NULL), 0);
	rtnl_unlock();
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, LO, PORT(4), &byte, 1), 1);
	KUNIT_EXPECT_EQ(test, toy_kunit_recv(rx, &byte, 1, NULL, 0), 1);
}

static struct kunit_case toy_netdev_test_cases[] = {
	KUNIT_CASE_PARAM(toy_netdev_xmit_loop, toy_netdev_size_gen_params),
	KUNIT_CASE(toy_netdev_sendmsg),
	KUNIT_CASE(toy_netdev_corrupt_frame),
	KUNIT_CASE_PARAM(toy_netdev_is_toy, toy_netdev_kind_gen_params),
	KUNIT_CASE(toy_netdev_other_ns),
	KUNIT_CASE(toy_netdev_properties),
	KUNIT_CASE(toy_netdev_down),
	{}
};

static struct kunit_suite toy_netdev_test_suite = {
	.name = "toy_netdev",
	.test_cases = toy_netdev_test_cases,
};

kunit_test_suite(toy_netdev_test_suite);
