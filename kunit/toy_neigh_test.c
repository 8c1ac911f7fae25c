// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: toy links (toy_link.c) and the toy ARP (toy_neigh.c).
 *
 * Links are made as "ip link add" makes them - rtnl_create_link(), then
 * the kind's newlink() - in init_net, where every suite runs.  A module
 * cannot create a namespace, so both ends of a cable are in the same
 * node here: what one end sends arrives on the other, from this node's
 * own address, and the receive side drops it as a forgery (InAddrErrors,
 * or HdrErrors for a who-has or is-at).  The suite counts those drops to
 * see frames leave.  Frames from other nodes are injected on a link, as a
 * peer's would arrive.  The node's address is set on toy0 as "ip link set
 * toy0 address" does, and cleared after each test.
 */
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <net/rtnetlink.h>

#include "toy_kunit.h"
#include "toy_stream_kunit.h"

#define SELF	0x0a000001	/* this node, once toy0 has the address */
#define PEER	0x0a000002	/* a node behind the link */
#define OTHER	0x0a000003	/* a node nobody answers for */
#define PORT	(TOY_KUNIT_NETDEV_PORT + 500)
/* Three probes one second apart, a tick of slack, then tenfold. */
#define TOY_KUNIT_NEIGH_WAIT	(40 * HZ)

/* ---- resources: links and the node address ----------------------------- */

static void toy_neigh_link_free(struct kunit_resource *res)
{
	struct net_device *dev = res->data;
	LIST_HEAD(list);

	rtnl_lock();
	toy_link_ops.dellink(dev, &list);
	unregister_netdevice_many(&list);
	rtnl_unlock();
}

static int toy_neigh_res_init(struct kunit_resource *res, void *obj)
{
	res->data = obj;
	return 0;
}

static bool toy_neigh_match_link(struct kunit *test,
				 struct kunit_resource *res, void *dev)
{
	return res->free == toy_neigh_link_free && res->data == dev;
}

/* "ip link add NAME [link PEER] type toy"; the error, or 0 and @out set */
static int toy_neigh_link_add(struct kunit *test, const char *name,
			      const struct net_device *peer, bool address,
			      struct net_device **out)
{
	struct {
		struct nlattr	nla;
		u32		ifindex;
	} link = {
		.nla = { .nla_len = NLA_HDRLEN + sizeof(u32),
			 .nla_type = IFLA_LINK },
	};
	struct {
		struct nlattr	nla;
		u8		addr[TOY_ADDR_LEN];
	} lladdr = {
		.nla = { .nla_len = NLA_HDRLEN + TOY_ADDR_LEN,
			 .nla_type = IFLA_ADDRESS },
	};
	struct nlattr *tb[IFLA_MAX + 1] = {};
	struct net_device *dev;
	int err;

	if (peer) {
		link.ifindex = peer->ifindex;
		tb[IFLA_LINK] = &link.nla;
	}
	if (address)
		tb[IFLA_ADDRESS] = &lladdr.nla;
	err = toy_link_ops.validate(tb, NULL, NULL);
	if (err)
		return err;
	rtnl_lock();
	dev = rtnl_create_link(&init_net, name, NET_NAME_USER, &toy_link_ops,
			       tb, NULL);
	if (IS_ERR(dev)) {
		rtnl_unlock();
		return PTR_ERR(dev);
	}
	err = toy_link_ops.newlink(&init_net, dev, tb, NULL, NULL);
	if (err) {
		free_netdev(dev);
		rtnl_unlock();
		return err;
	}
	err = rtnl_configure_link(dev, NULL, 0, NULL);
	rtnl_unlock();
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_ASSERT_NOT_NULL(test, kunit_alloc_resource(test,
			      toy_neigh_res_init, toy_neigh_link_free,
			      GFP_KERNEL, dev));
	*out = dev;
	return 0;
}

static void toy_neigh_updown(struct kunit *test, struct net_device *dev,
			     bool up)
{
	rtnl_lock();
	if (up)
		KUNIT_EXPECT_EQ(test, dev_open(dev, NULL), 0);
	else
		dev_close(dev);
	rtnl_unlock();
}

/* "ip link set toy0 address A.B.C.D", as the ndo and the notifier see it */
static int toy_neigh_set_addr(u32 addr)
{
	struct sockaddr sa = { .sa_family = ARPHRD_VOID };
	__be32 a = htonl(addr);
	int err;

	memcpy(sa.sa_data, &a, sizeof(a));
	rtnl_lock();
	err = dev_set_mac_address(toy_kunit_dev(), &sa, NULL);
	rtnl_unlock();
	return err;
}

static void toy_neigh_addr_free(struct kunit_resource *res)
{
	toy_neigh_set_addr(0);
}

static void toy_neigh_node(struct kunit *test, u32 addr)
{
	KUNIT_ASSERT_EQ(test, toy_neigh_set_addr(addr), 0);
	KUNIT_ASSERT_NOT_NULL(test, kunit_alloc_resource(test,
			      toy_neigh_res_init, toy_neigh_addr_free,
			      GFP_KERNEL, toy_kunit_dev()));
}

/*
 * A cable t1 <-> t2, both ends up, and this node at SELF.  Returns once
 * each end has announced us (an is-at when its carrier came on), and the
 * announcement has come back in on the other end from our own address.
 */
static void toy_neigh_cable(struct kunit *test, struct net_device **t1,
			    struct net_device **t2)
{
	struct toy_net *tn = toy_kunit_tn();
	struct toy_kunit_mib m;

	toy_kunit_mib_read(tn, &m);
	toy_neigh_node(test, SELF);
	KUNIT_ASSERT_EQ(test, toy_neigh_link_add(test, "ktoy%d", NULL, false,
						 t1), 0);
	KUNIT_ASSERT_EQ(test, toy_neigh_link_add(test, "ktoy%d", *t1, false,
						 t2), 0);
	toy_neigh_updown(test, *t1, true);
	toy_neigh_updown(test, *t2, true);
	KUNIT_ASSERT_EQ(test, toy_kunit_wait_mib(tn, TOY_MIB_NEIGHOUTREPLIES,
			m.v[TOY_MIB_NEIGHOUTREPLIES] + 2),
			m.v[TOY_MIB_NEIGHOUTREPLIES] + 2);
	KUNIT_ASSERT_EQ(test, toy_kunit_wait_mib(tn, TOY_MIB_HDRERRORS,
			m.v[TOY_MIB_HDRERRORS] + 2),
			m.v[TOY_MIB_HDRERRORS] + 2);
}

/* Carrier changes go through linkwatch, a workqueue: wait for it. */
static bool toy_neigh_wait_carrier(struct net_device *dev, bool on)
{
	unsigned long end = jiffies + TOY_KUNIT_WAIT * 10;

	while (netif_carrier_ok(dev) != on || (on && !netif_oper_up(dev))) {
		if (time_after(jiffies, end))
			return false;
		msleep(5);
	}
	return true;
}

/* The state of @addr's entry, or TOY_NEIGH_NONE */
static int toy_neigh_state(u32 addr, const struct net_device **dev,
			   unsigned int *queued)
{
	const struct net_device *d;
	unsigned int q;

	return toy_neigh_kunit_state(toy_kunit_tn(), htonl(addr),
				     dev ?: &d, queued ?: &q);
}

static int toy_neigh_wait_state(u32 addr, int state)
{
	unsigned long end = jiffies + TOY_KUNIT_NEIGH_WAIT;
	int now;

	while ((now = toy_neigh_state(addr, NULL, NULL)) != state &&
	       !time_after(jiffies, end))
		msleep(20);
	return now;
}

/* A who-has or is-at from @saddr about @daddr, arriving on @dev */
static int toy_neigh_inject(struct kunit *test, struct net_device *dev,
			    u8 flags, u32 saddr, u32 daddr)
{
	struct toy_flow fl = {
		.type = TOY_TYPE_NEIGH, .flags = flags,
		.saddr = htonl(saddr), .daddr = htonl(daddr),
	};

	return toy_kunit_inject(test, toy_kunit_frame(test, &fl, NULL, 0), dev);
}

/* ---- links -------------------------------------------------------------- */

static void toy_link_pairing(struct kunit *test)
{
	struct net_device *t1, *t2, *t3;

	KUNIT_ASSERT_EQ(test, toy_neigh_link_add(test, "ktoy%d", NULL, false,
						 &t1), 0);
	KUNIT_EXPECT_TRUE(test, toy_dev_is_toy(t1));
	KUNIT_EXPECT_EQ(test, dev_get_iflink(t1), 0);	/* t1@NONE */
	KUNIT_EXPECT_EQ(test, t1->mtu, 1500);
	KUNIT_EXPECT_EQ(test, t1->addr_len, 0);
	toy_neigh_updown(test, t1, true);
	KUNIT_EXPECT_FALSE(test, netif_carrier_ok(t1));	/* unplugged */

	KUNIT_ASSERT_EQ(test, toy_neigh_link_add(test, "ktoy%d", t1, false,
						 &t2), 0);
	KUNIT_EXPECT_EQ(test, dev_get_iflink(t1), t2->ifindex);
	KUNIT_EXPECT_EQ(test, dev_get_iflink(t2), t1->ifindex);
	KUNIT_EXPECT_FALSE(test, netif_carrier_ok(t1));	/* t2 is down */
	toy_neigh_updown(test, t2, true);
	KUNIT_EXPECT_TRUE(test, toy_neigh_wait_carrier(t1, true));
	KUNIT_EXPECT_TRUE(test, toy_neigh_wait_carrier(t2, true));

	/* t1 is plugged in; toy0 is no cable; an address is toy0's */
	KUNIT_EXPECT_EQ(test, toy_neigh_link_add(test, "ktoy%d", t1, false,
						 &t3), -EBUSY);
	KUNIT_EXPECT_EQ(test, toy_neigh_link_add(test, "ktoy%d",
						 toy_kunit_dev(), false, &t3),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, toy_neigh_link_add(test, "ktoy%d", NULL, true,
						 &t3), -EINVAL);

	/* one end down: no carrier on either */
	toy_neigh_updown(test, t2, false);
	KUNIT_EXPECT_TRUE(test, toy_neigh_wait_carrier(t1, false));
}

static void toy_link_unplug(struct kunit *test)
{
	struct net_device *t1, *t2;
	LIST_HEAD(list);

	KUNIT_ASSERT_EQ(test, toy_neigh_link_add(test, "ktoy%d", NULL, false,
						 &t1), 0);
	KUNIT_ASSERT_EQ(test, toy_neigh_link_add(test, "ktoy%d", t1, false,
						 &t2), 0);
	toy_neigh_updown(test, t1, true);
	toy_neigh_updown(test, t2, true);
	KUNIT_EXPECT_TRUE(test, toy_neigh_wait_carrier(t1, true));

	/* Delete t2 by hand (its resource then finds it gone: take it off). */
	KUNIT_ASSERT_EQ(test, kunit_destroy_resource(test, toy_neigh_match_link,
						     t2), 0);
	KUNIT_EXPECT_EQ(test, dev_get_iflink(t1), 0);
	KUNIT_EXPECT_TRUE(test, toy_neigh_wait_carrier(t1, false));
	KUNIT_EXPECT_TRUE(test, netif_running(t1));
}

/* ---- the toy ARP -------------------------------------------------------- */

/* A who-has for us: learn the asker, answer on its link. */
static void toy_neigh_who_has_us(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct toy_kunit_mib before, delta = {};
	const struct net_device *via;
	struct net_device *t1, *t2;

	toy_neigh_cable(test, &t1, &t2);
	toy_kunit_mib_read(tn, &before);
	KUNIT_EXPECT_EQ(test, toy_neigh_inject(test, t2, TOY_F_WHO_HAS, PEER,
					       SELF), NET_RX_SUCCESS);
	KUNIT_EXPECT_EQ(test, toy_neigh_state(PEER, &via, NULL),
			TOY_NEIGH_REACHABLE);
	KUNIT_EXPECT_PTR_EQ(test, via, t2);
	/* the is-at went out on t2 and came in on t1, from ourselves */
	toy_kunit_wait_mib(tn, TOY_MIB_HDRERRORS,
			   before.v[TOY_MIB_HDRERRORS] + 1);
	delta.v[TOY_MIB_NEIGHINREQUESTS] = 1;
	delta.v[TOY_MIB_NEIGHOUTREPLIES] = 1;
	delta.v[TOY_MIB_HDRERRORS] = 1;
	delta.v[TOY_MIB_INERRORS] = 1;
	toy_kunit_expect_mib(test, tn, &before, &delta);
}

/* A who-has for another node is not ours to answer, nor to learn from. */
static void toy_neigh_who_has_other(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct toy_kunit_mib before, delta = {};
	struct net_device *t1, *t2;

	toy_neigh_cable(test, &t1, &t2);
	toy_kunit_mib_read(tn, &before);
	toy_neigh_inject(test, t2, TOY_F_WHO_HAS, PEER, OTHER);
	KUNIT_EXPECT_EQ(test, toy_neigh_state(PEER, NULL, NULL), TOY_NEIGH_NONE);
	/* an announcement of a node we do not know: not learnt either */
	toy_neigh_inject(test, t2, TOY_F_IS_AT, PEER, TOY_ADDR_BROADCAST);
	KUNIT_EXPECT_EQ(test, toy_neigh_state(PEER, NULL, NULL), TOY_NEIGH_NONE);
	/* forgeries: our own address, loopback, a frame on toy0 */
	toy_neigh_inject(test, t2, TOY_F_IS_AT, SELF, SELF);
	toy_neigh_inject(test, t2, TOY_F_IS_AT, TOY_ADDR_LOOPBACK, SELF);
	toy_neigh_inject(test, toy_kunit_dev(), TOY_F_IS_AT, PEER, SELF);
	KUNIT_EXPECT_EQ(test, toy_neigh_state(PEER, NULL, NULL), TOY_NEIGH_NONE);
	delta.v[TOY_MIB_NEIGHINREQUESTS] = 1;
	delta.v[TOY_MIB_NEIGHINREPLIES] = 1;
	delta.v[TOY_MIB_HDRERRORS] = 3;
	delta.v[TOY_MIB_INERRORS] = 3;
	toy_kunit_expect_mib(test, tn, &before, &delta);
}

/*
 * A datagram to an unknown node: held while a who-has asks (at most three,
 * the oldest giving way), then sent when the answer comes.
 */
static void toy_neigh_resolve(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct toy_kunit_mib before;
	const struct net_device *via;
	struct net_device *t1, *t2;
	struct socket *tx = toy_kunit_socket(test);
	unsigned int queued;
	char byte = 'x';
	int i;

	toy_neigh_cable(test, &t1, &t2);
	toy_kunit_mib_read(tn, &before);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, PEER, PORT, &byte, 1),
				1);
	KUNIT_EXPECT_EQ(test, toy_neigh_state(PEER, &via, &queued),
			TOY_NEIGH_INCOMPLETE);
	KUNIT_EXPECT_NULL(test, via);
	KUNIT_EXPECT_EQ(test, queued, 3);
	/* one who-has on each link; each comes back in on the other end,
	 * from our own address
	 */
	KUNIT_EXPECT_EQ(test, toy_kunit_wait_mib(tn, TOY_MIB_HDRERRORS,
			before.v[TOY_MIB_HDRERRORS] + 2),
			before.v[TOY_MIB_HDRERRORS] + 2);
	KUNIT_EXPECT_EQ(test, toy_kunit_wait_mib(tn, TOY_MIB_NEIGHOUTREQUESTS,
			before.v[TOY_MIB_NEIGHOUTREQUESTS] + 2),
			before.v[TOY_MIB_NEIGHOUTREQUESTS] + 2);
	KUNIT_EXPECT_EQ(test, toy_kunit_wait_mib(tn, TOY_MIB_NEIGHUNRESOLVEDDROPS,
			before.v[TOY_MIB_NEIGHUNRESOLVEDDROPS] + 1),
			before.v[TOY_MIB_NEIGHUNRESOLVEDDROPS] + 1);

	/* The answer: the three frames go out on t2, and come back in on
	 * t1 from our own address, which toy_rcv() counts and drops.
	 */
	toy_neigh_inject(test, t2, TOY_F_IS_AT, PEER, SELF);
	KUNIT_EXPECT_EQ(test, toy_neigh_state(PEER, &via, &queued),
			TOY_NEIGH_REACHABLE);
	KUNIT_EXPECT_PTR_EQ(test, via, t2);
	KUNIT_EXPECT_EQ(test, queued, 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_wait_mib(tn, TOY_MIB_INADDRERRORS,
			before.v[TOY_MIB_INADDRERRORS] + 3),
			before.v[TOY_MIB_INADDRERRORS] + 3);

	/* Link down: the entry goes, and the next frame asks again. */
	toy_neigh_updown(test, t2, false);
	KUNIT_EXPECT_EQ(test, toy_neigh_state(PEER, NULL, NULL), TOY_NEIGH_NONE);
}

/* Nobody answers: FAILED, what was held dropped, EHOSTUNREACH. */
static void toy_neigh_unanswered(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct toy_kunit_mib before;
	struct net_device *t1, *t2;
	struct socket *tx = toy_kunit_socket(test);
	char byte = 'x';

	toy_neigh_cable(test, &t1, &t2);
	toy_kunit_mib_read(tn, &before);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, OTHER, PORT, &byte, 1), 1);
	KUNIT_EXPECT_EQ(test, toy_neigh_wait_state(OTHER, TOY_NEIGH_FAILED),
			TOY_NEIGH_FAILED);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, OTHER, PORT, &byte, 1),
			-EHOSTUNREACH);
	toy_kunit_wait_mib(tn, TOY_MIB_NEIGHOUTREQUESTS,
			   before.v[TOY_MIB_NEIGHOUTREQUESTS] + 6);
	/* three who-has on each of the two links */
	KUNIT_EXPECT_EQ(test, toy_kunit_wait_mib(tn, TOY_MIB_NEIGHOUTREQUESTS, 0),
			before.v[TOY_MIB_NEIGHOUTREQUESTS] + 6);
	KUNIT_EXPECT_EQ(test, toy_kunit_wait_mib(tn, TOY_MIB_NEIGHRESOLVEFAILED, 0),
			before.v[TOY_MIB_NEIGHRESOLVEFAILED] + 1);
	/* the held datagram, and the one refused */
	KUNIT_EXPECT_EQ(test, toy_kunit_wait_mib(tn, TOY_MIB_NEIGHUNRESOLVEDDROPS, 0),
			before.v[TOY_MIB_NEIGHUNRESOLVEDDROPS] + 1);

	/* An answer after all makes it REACHABLE again. */
	toy_neigh_inject(test, t2, TOY_F_IS_AT, OTHER, SELF);
	KUNIT_EXPECT_EQ(test, toy_neigh_state(OTHER, NULL, NULL),
			TOY_NEIGH_REACHABLE);
	toy_neigh_updown(test, t2, false);
}

/*
 * The documented clocks (toy_neigh.c): REACHABLE for 30 s, then STALE;
 * STALE and unused, gone 60 s later; FAILED, forgotten after 10 s.  The
 * entries are aged with toy_neigh_kunit_age() and the table's own tick
 * does the rest.
 */
#define REACHABLE_TIME	(30 * HZ)
#define STALE_TIME	(60 * HZ)
#define FAILED_TIME	(10 * HZ)

/* Make @addr's entry @age older (see above) */
static bool toy_neigh_age(u32 addr, unsigned long age)
{
	return toy_neigh_kunit_age(toy_kunit_tn(), htonl(addr), age);
}

/* Make PEER REACHABLE through @via: a frame asks, an is-at answers. */
static void toy_neigh_reach(struct kunit *test, struct socket *tx,
			    struct net_device *via)
{
	char byte = 'x';

	KUNIT_ASSERT_EQ(test, toy_kunit_send(tx, PEER, PORT, &byte, 1), 1);
	toy_neigh_inject(test, via, TOY_F_IS_AT, PEER, SELF);
	KUNIT_ASSERT_EQ(test, toy_neigh_state(PEER, NULL, NULL),
			TOY_NEIGH_REACHABLE);
}

/*
 * REACHABLE ages to STALE; a STALE entry is still used, asked about, and
 * confirmed; left unused, it goes.
 */
static void toy_neigh_ageing(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct socket *tx = toy_kunit_socket(test);
	struct toy_kunit_mib before;
	struct net_device *t1, *t2;
	unsigned long want;
	char byte = 'x';

	toy_neigh_cable(test, &t1, &t2);
	toy_neigh_reach(test, tx, t2);
	KUNIT_ASSERT_TRUE(test, toy_neigh_age(PEER, REACHABLE_TIME));
	KUNIT_EXPECT_EQ(test, toy_neigh_wait_state(PEER, TOY_NEIGH_STALE),
			TOY_NEIGH_STALE);

	/* used while STALE: the frame goes out on t2 (and comes back in on
	 * t1 from our own address), and one who-has on each link asks
	 */
	toy_kunit_mib_read(tn, &before);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, PEER, PORT, &byte, 1), 1);
	want = before.v[TOY_MIB_INADDRERRORS] + 1;
	KUNIT_EXPECT_EQ(test,
			toy_kunit_wait_mib(tn, TOY_MIB_INADDRERRORS, want),
			want);
	/* (GE: a slow tick may already have sent the second probe) */
	want = before.v[TOY_MIB_NEIGHOUTREQUESTS] + 2;
	KUNIT_EXPECT_GE(test,
			toy_kunit_wait_mib(tn, TOY_MIB_NEIGHOUTREQUESTS, want),
			want);
	toy_neigh_inject(test, t2, TOY_F_IS_AT, PEER, SELF);
	KUNIT_EXPECT_EQ(test, toy_neigh_state(PEER, NULL, NULL),
			TOY_NEIGH_REACHABLE);

	/* unused: STALE after 30 s, gone 60 s after that */
	KUNIT_ASSERT_TRUE(test, toy_neigh_age(PEER, REACHABLE_TIME));
	KUNIT_EXPECT_EQ(test, toy_neigh_wait_state(PEER, TOY_NEIGH_STALE),
			TOY_NEIGH_STALE);
	KUNIT_ASSERT_TRUE(test, toy_neigh_age(PEER, STALE_TIME));
	KUNIT_EXPECT_EQ(test, toy_neigh_wait_state(PEER, TOY_NEIGH_NONE),
			TOY_NEIGH_NONE);
}

/*
 * A node that moved to another link says so (a gratuitous is-at): the
 * entry follows it.  An announcement from a node we never asked for
 * creates nothing (as ARP with arp_accept=0).
 */
static void toy_neigh_announced(struct kunit *test)
{
	struct socket *tx = toy_kunit_socket(test);
	const struct net_device *via;
	struct net_device *t1, *t2;

	toy_neigh_cable(test, &t1, &t2);
	toy_neigh_reach(test, tx, t2);
	toy_neigh_inject(test, t1, TOY_F_IS_AT, PEER, TOY_ADDR_BROADCAST);
	KUNIT_EXPECT_EQ(test, toy_neigh_state(PEER, &via, NULL),
			TOY_NEIGH_REACHABLE);
	KUNIT_EXPECT_PTR_EQ(test, via, t1);
	toy_neigh_inject(test, t1, TOY_F_IS_AT, OTHER, TOY_ADDR_BROADCAST);
	KUNIT_EXPECT_EQ(test, toy_neigh_state(OTHER, NULL, NULL),
			TOY_NEIGH_NONE);
}

/* Frames @dev has sent, once at least @want (or the wait is over) */
static u64 toy_neigh_wait_tx(struct net_device *dev, u64 want)
{
	unsigned long end = jiffies + TOY_KUNIT_WAIT * 10;
	struct rtnl_link_stats64 st;

	for (;;) {
		dev_get_stats(dev, &st);
		if (st.tx_packets >= want || time_after(jiffies, end))
			return st.tx_packets;
		usleep_range(100, 200);
	}
}

/*
 * The route cache: a connected socket keeps its peer's entry, sends on
 * that entry's link, follows it when the peer moves, and finds a new
 * entry once the old one left the table.  A sendto() from an unconnected
 * socket caches nothing.
 */
static void toy_neigh_route_cache(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct socket *tx = toy_kunit_socket(test);
	struct socket *other = toy_kunit_socket(test);
	struct toy_kunit_mib before;
	struct net_device *t1, *t2;
	const struct net_device *via;
	unsigned long want;
	unsigned int queued;
	u64 n1, n2;
	char byte = 'x';

	toy_neigh_cable(test, &t1, &t2);
	KUNIT_ASSERT_EQ(test, toy_kunit_connect(tx, PEER, PORT), 0);
	toy_neigh_reach(test, tx, t2);	/* its frame was held: no cache */
	KUNIT_EXPECT_FALSE(test, toy_neigh_kunit_cached(tn, tx->sk,
							htonl(PEER)));

	n1 = toy_neigh_wait_tx(t1, 0);
	n2 = toy_neigh_wait_tx(t2, 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, PEER, PORT, &byte, 1), 1);
	KUNIT_EXPECT_TRUE(test, toy_neigh_kunit_cached(tn, tx->sk,
						       htonl(PEER)));
	KUNIT_EXPECT_EQ(test, toy_kunit_send(other, PEER, PORT, &byte, 1), 1);
	KUNIT_EXPECT_FALSE(test, toy_neigh_kunit_cached(tn, other->sk,
							htonl(PEER)));
	KUNIT_EXPECT_EQ(test, toy_neigh_wait_tx(t2, n2 + 2), n2 + 2);
	KUNIT_EXPECT_EQ(test, toy_neigh_wait_tx(t1, 0), n1);

	/* The peer says it is on t1 now: the cached entry goes with it. */
	toy_neigh_inject(test, t1, TOY_F_IS_AT, PEER, TOY_ADDR_BROADCAST);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, PEER, PORT, &byte, 1), 1);
	KUNIT_EXPECT_EQ(test, toy_neigh_wait_tx(t1, n1 + 1), n1 + 1);
	KUNIT_EXPECT_EQ(test, toy_neigh_wait_tx(t2, 0), n2 + 2);

	/* STALE: the cache steps aside, so that the frame asks again. */
	KUNIT_ASSERT_TRUE(test, toy_neigh_age(PEER, REACHABLE_TIME));
	KUNIT_ASSERT_EQ(test, toy_neigh_wait_state(PEER, TOY_NEIGH_STALE),
			TOY_NEIGH_STALE);
	toy_kunit_mib_read(tn, &before);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, PEER, PORT, &byte, 1), 1);
	want = before.v[TOY_MIB_NEIGHOUTREQUESTS] + 2;	/* one per link */
	KUNIT_EXPECT_GE(test,
			toy_kunit_wait_mib(tn, TOY_MIB_NEIGHOUTREQUESTS, want),
			want);

	/* The entry leaves the table (as when t1 goes down, which also
	 * leaves no link up to send on): the next frame asks again.
	 */
	toy_neigh_flush(tn, t1);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, PEER, PORT, &byte, 1), 1);
	KUNIT_EXPECT_EQ(test, toy_neigh_state(PEER, &via, &queued),
			TOY_NEIGH_INCOMPLETE);
	KUNIT_EXPECT_EQ(test, queued, 1);
	KUNIT_EXPECT_FALSE(test, toy_neigh_kunit_cached(tn, tx->sk,
							htonl(PEER)));
}

/* FAILED is remembered for 10 s; after that the next frame asks again. */
static void toy_neigh_failed_expires(struct kunit *test)
{
	struct socket *tx = toy_kunit_socket(test);
	struct net_device *t1, *t2;
	char byte = 'x';

	toy_neigh_cable(test, &t1, &t2);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, OTHER, PORT, &byte, 1), 1);
	KUNIT_ASSERT_EQ(test, toy_neigh_wait_state(OTHER, TOY_NEIGH_FAILED),
			TOY_NEIGH_FAILED);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, OTHER, PORT, &byte, 1),
			-EHOSTUNREACH);
	KUNIT_ASSERT_TRUE(test, toy_neigh_age(OTHER, FAILED_TIME));
	KUNIT_EXPECT_EQ(test, toy_neigh_wait_state(OTHER, TOY_NEIGH_NONE),
			TOY_NEIGH_NONE);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, OTHER, PORT, &byte, 1), 1);
	KUNIT_EXPECT_EQ(test, toy_neigh_state(OTHER, NULL, NULL),
			TOY_NEIGH_INCOMPLETE);
}

/* The cache holds 256 nodes; a frame for one more is refused, ENOBUFS. */
static void toy_neigh_full(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct socket *tx = toy_kunit_socket(test);
	struct net_device *t1, *t2;
	char byte = 'x';
	int i, ok = 0;

	toy_neigh_cable(test, &t1, &t2);
	for (i = 0; i < 256; i++)
		ok += toy_kunit_send(tx, 0x0a010000 + i, PORT, &byte, 1) == 1;
	KUNIT_EXPECT_EQ(test, ok, 256);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, 0x0a020000, PORT, &byte, 1),
			-ENOBUFS);
	toy_neigh_flush(tn, NULL);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, 0x0a020000, PORT, &byte, 1),
			1);
}

/* Addresses: reserved values refused; no address, no other node. */
static void toy_neigh_addresses(struct kunit *test)
{
	struct socket *tx = toy_kunit_socket(test);
	char byte = 'x';

	KUNIT_EXPECT_EQ(test, toy_neigh_set_addr(TOY_ADDR_LOOPBACK),
			-EADDRNOTAVAIL);
	KUNIT_EXPECT_EQ(test, toy_neigh_set_addr(0x7f000009), -EADDRNOTAVAIL);
	KUNIT_EXPECT_EQ(test, toy_neigh_set_addr(TOY_ADDR_BROADCAST),
			-EADDRNOTAVAIL);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, PEER, PORT, &byte, 1),
			-ENETUNREACH);
	toy_neigh_node(test, SELF);
	KUNIT_EXPECT_EQ(test, toy_node_addr(&init_net), htonl(SELF));
	KUNIT_EXPECT_TRUE(test, toy_addr_is_local(&init_net, htonl(SELF)));
	/* an address, but no link up */
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, PEER, PORT, &byte, 1),
			-ENETUNREACH);
	/* the node's own address is local: bind and loop back */
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(tx, SELF, PORT), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, SELF, PORT, &byte, 1), 1);
	KUNIT_EXPECT_EQ(test, toy_kunit_recv(tx, &byte, 1, NULL, 0), 1);
	KUNIT_EXPECT_EQ(test, toy_neigh_set_addr(0), 0);
	KUNIT_EXPECT_EQ(test, toy_node_addr(&init_net), 0);
}

/* ---- a link that goes while a frame from it waits ---------------------- */

/*
 * A SYN that came over a link waits in a listener's backlog, because the
 * listener's owner holds the socket, while the link is deleted and freed.
 * Answering it at release_sock() must not touch the freed device (it
 * did: skb->dev, a use-after-free that KASAN reports).
 */
static void toy_neigh_backlog_outlives_link(struct kunit *test)
{
	struct socket *l = toy_test_socket(test);
	struct toy_flow fl = {
		.type = TOY_TYPE_STREAM, .flags = TOY_F_SYN,
		.saddr = htonl(PEER), .daddr = htonl(SELF),
		.sport = htons(PORT + 1), .dport = htons(PORT),
		.seq = 1000, .window = 64,
	};
	struct net_device *t1, *t2;
	struct sk_buff *syn;

	toy_neigh_cable(test, &t1, &t2);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(l, SELF, PORT), 0);
	KUNIT_ASSERT_EQ(test, kernel_listen(l, 4), 0);

	syn = toy_kunit_frame(test, &fl, NULL, 0);
	lock_sock(l->sk);
	KUNIT_EXPECT_EQ(test, toy_kunit_inject(test, syn, t2), NET_RX_SUCCESS);
	KUNIT_EXPECT_NOT_NULL(test, l->sk->sk_backlog.tail);
	/* Delete t2 by hand (its resource then finds it gone: take it off). */
	KUNIT_EXPECT_EQ(test, kunit_destroy_resource(test, toy_neigh_match_link,
						     t2), 0);
	release_sock(l->sk);
	KUNIT_EXPECT_NULL(test, l->sk->sk_backlog.tail);
}

static struct kunit_case toy_neigh_test_cases[] = {
	KUNIT_CASE(toy_link_pairing),
	KUNIT_CASE(toy_link_unplug),
	KUNIT_CASE(toy_neigh_who_has_us),
	KUNIT_CASE(toy_neigh_who_has_other),
	KUNIT_CASE(toy_neigh_resolve),
	KUNIT_CASE(toy_neigh_unanswered),
	KUNIT_CASE(toy_neigh_addresses),
	KUNIT_CASE(toy_neigh_ageing),
	KUNIT_CASE(toy_neigh_announced),
	KUNIT_CASE(toy_neigh_route_cache),
	KUNIT_CASE(toy_neigh_failed_expires),
	KUNIT_CASE(toy_neigh_full),
	KUNIT_CASE(toy_neigh_backlog_outlives_link),
	{}
};

/*
 * Each case starts with an empty cache, even after one that stopped on a
 * failed assertion: a FAILED entry or a full table would otherwise last
 * into the next cases.
 */
static void toy_neigh_test_exit(struct kunit *test)
{
	toy_neigh_flush(toy_kunit_tn(), NULL);
}

static struct kunit_suite toy_neigh_test_suite = {
	.name = "toy_neigh",
	.exit = toy_neigh_test_exit,
	.test_cases = toy_neigh_test_cases,
};

kunit_test_suite(toy_neigh_test_suite);
