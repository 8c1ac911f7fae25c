// SPDX-License-Identifier: GPL-2.0
/*
 * The device layer of AF_TOY, part two: toy links, the cables between
 * nodes.  A node is a network namespace; toy0 (toy_netdev.c) is its
 * loopback, and a toy link is one end of a point-to-point cable whose
 * other end is a toy link in the same or another namespace.  The model
 * is vxcan and veth (drivers/net/can/vxcan.c, drivers/net/veth.c).
 *
 * Made with stock iproute2, through the rtnl_link_ops kind "toy":
 *
 *   ip -n n1 link add t12 type toy                    one end, unplugged
 *   ip -n n1 link add t21 netns n2 link t12 type toy  the other end, in n2,
 *                                                     plugged into t12
 *
 * "link DEV" is the generic IFLA_LINK attribute: stock ip sends it for any
 * kind, while a kind's own arguments ("peer name X") need an iproute2
 * plugin.  DEV is looked up in the namespace ip runs in.
 *
 * A frame's journey through this file:
 *
 *   dev_queue_xmit(skb)      from toy_xmit() or the toy ARP (toy_neigh.c)
 *     -> toy_link_xmit()     the peer end, under RCU; scrub what must not
 *        -> netif_rx()       cross a namespace, and hand it to the peer's
 *                            receive side: toy_rcv() in the peer's node
 *
 * Carrier is on only while both ends are up; deleting one end unplugs the
 * other (NO-CARRIER), it does not delete it.  An end can move between
 * namespaces and stays plugged in.
 *
 * Locking: the peer pointers change only under RTNL (newlink, dellink)
 * and are read under RCU by transmit.  A device is freed only after an
 * RCU grace period that follows its unregistration, so a transmit that
 * still sees a peer that is being deleted hands it a frame the core then
 * drops.
 */

#include <linux/if_arp.h>
#include <linux/netdevice.h>
#include <net/rtnetlink.h>

#include "af_toy.h"

/* A cable end's default MTU: Ethernet's, so that streams segment. */
#define TOY_LINK_MTU	1500

/**
 * struct toy_link - private part of a toy link
 * @peer: the other end of the cable, or NULL while unplugged; written
 *	  under RTNL, read under RCU
 */
struct toy_link {
	struct net_device __rcu	*peer;
};

TOY_VISIBLE_IF_KUNIT struct rtnl_link_ops toy_link_ops;

static struct toy_link *toy_link(const struct net_device *dev)
{
	return netdev_priv(dev);
}

static netdev_tx_t toy_link_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct net_device *peer;
	unsigned int len = skb->len;

	rcu_read_lock();
	peer = rcu_dereference(toy_link(dev)->peer);
	/* Unplugged, or too long for the far end (as veth's
	 * is_skb_forwardable()): the frame falls on the floor, as on a wire.
	 */
	if (unlikely(!peer || !netif_running(peer) ||
		     len > READ_ONCE(peer->mtu))) {
		dev_core_stats_tx_dropped_inc(dev);
		kfree_skb_reason(skb, peer && netif_running(peer) ?
				 SKB_DROP_REASON_PKT_TOO_BIG :
				 SKB_DROP_REASON_DEV_READY);
		goto out;
	}
	skb_tx_timestamp(skb);
	/* The frame leaves its sender here: end its send-buffer charge. */
	skb_orphan(skb);
	/* Nothing of this namespace (marks, conntrack, dst) goes along. */
	skb_scrub_packet(skb, !net_eq(dev_net(dev), dev_net(peer)));
	skb->dev = peer;
	skb->pkt_type = PACKET_HOST;
	skb_reset_mac_header(skb);
	dev_sw_netstats_tx_add(dev, 1, len);
	if (netif_rx(skb) == NET_RX_SUCCESS)
		dev_sw_netstats_rx_add(peer, len);
out:
	rcu_read_unlock();
	return NETDEV_TX_OK;	/* always: a cable never pushes back */
}

/* Carrier on both ends once both are up. */
static int toy_link_open(struct net_device *dev)
{
	struct net_device *peer = rtnl_dereference(toy_link(dev)->peer);

	if (peer && (peer->flags & IFF_UP)) {
		netif_carrier_on(dev);
		netif_carrier_on(peer);
	}
	return 0;
}

static int toy_link_stop(struct net_device *dev)
{
	struct net_device *peer = rtnl_dereference(toy_link(dev)->peer);

	netif_carrier_off(dev);
	if (peer)
		netif_carrier_off(peer);
	return 0;
}

/* "ip link" shows the peer's ifindex as t21@if5, or t12@NONE. */
static int toy_link_get_iflink(const struct net_device *dev)
{
	struct net_device *peer;
	int iflink;

	rcu_read_lock();
	peer = rcu_dereference(toy_link(dev)->peer);
	iflink = peer ? READ_ONCE(peer->ifindex) : 0;
	rcu_read_unlock();
	return iflink;
}

static const struct net_device_ops toy_link_netdev_ops = {
	.ndo_init	 = toy_dev_stats_init,
	.ndo_open	 = toy_link_open,
	.ndo_stop	 = toy_link_stop,
	.ndo_start_xmit	 = toy_link_xmit,
	.ndo_get_stats64 = dev_get_tstats64,
	.ndo_get_iflink	 = toy_link_get_iflink,
};

static void toy_link_setup(struct net_device *dev)
{
	toy_dev_setup_common(dev);
	dev->netdev_ops = &toy_link_netdev_ops;
	/* Links are unnumbered: the node's address is toy0's. */
	dev->addr_len = 0;
	dev->mtu = TOY_LINK_MTU;
	/* tx_queue_len stays 0: the core makes it IFF_NO_QUEUE with a
	 * default length, which is what netem needs to be grafted on.
	 */
}

/**
 * toy_link_is() - is @dev a toy link (and not toy0)?
 * @dev: any device
 *
 * Return: true for an end of a toy cable.
 */
bool toy_link_is(const struct net_device *dev)
{
	return dev->netdev_ops == &toy_link_netdev_ops;
}

/**
 * toy_link_is_up() - can @dev carry a frame to a neighbour now?
 * @dev: any device
 *
 * Return: true for a toy link that is up, with carrier (both ends up).
 */
bool toy_link_is_up(const struct net_device *dev)
{
	return toy_link_is(dev) && netif_running(dev) && netif_carrier_ok(dev);
}

/**
 * toy_link_min_mtu() - the smallest MTU of the links that are up
 * @net: the namespace
 *
 * Return: that MTU, or 0 if no link is up.
 */
unsigned int toy_link_min_mtu(struct net *net)
{
	struct net_device *dev;
	unsigned int mtu = 0;

	rcu_read_lock();
	for_each_netdev_rcu(net, dev)
		if (toy_link_is_up(dev) && (!mtu || READ_ONCE(dev->mtu) < mtu))
			mtu = READ_ONCE(dev->mtu);
	rcu_read_unlock();
	return mtu;
}

/**
 * toy_dev_is_toy() - is this one of our devices?
 * @dev: the device a frame arrived on
 *
 * The receive handler only accepts ETH_P_TOY frames from toy devices, so
 * that a frame injected on some other interface cannot reach a socket.
 *
 * Return: true for toy0 or a toy link.
 */
bool toy_dev_is_toy(const struct net_device *dev)
{
	return toy_dev_is_loopback(dev) || toy_link_is(dev);
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_dev_is_toy);

static int toy_link_validate(struct nlattr *tb[], struct nlattr *data[],
			     struct netlink_ext_ack *extack)
{
	if (tb[IFLA_ADDRESS]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
				    "toy links are unnumbered: set the node address on toy0");
		return -EINVAL;
	}
	return 0;
}

/*
 * The end to plug a new link into: IFLA_LINK, an ifindex in @net, the
 * namespace of whoever asked.  NULL (and no error) if none was named.
 */
static struct net_device *toy_link_find_peer(struct net *net, struct nlattr *tb[],
					     struct netlink_ext_ack *extack,
					     int *err)
{
	struct net_device *peer;

	*err = 0;
	if (!tb[IFLA_LINK])
		return NULL;
	peer = __dev_get_by_index(net, nla_get_u32(tb[IFLA_LINK]));
	if (!peer) {
		NL_SET_ERR_MSG(extack, "no such device to plug into");
		*err = -ENODEV;
	} else if (peer->rtnl_link_ops != &toy_link_ops) {
		NL_SET_ERR_MSG(extack, "a toy link can only be plugged into another toy link");
		*err = -EINVAL;
	} else if (rtnl_dereference(toy_link(peer)->peer)) {
		NL_SET_ERR_MSG(extack, "that toy link is already plugged in");
		*err = -EBUSY;
	}
	return *err ? NULL : peer;
}

static int toy_link_newlink(TOY_NEWLINK_ARGS)
{
	struct net_device *peer;
	int err;

	peer = toy_link_find_peer(toy_newlink_src_net(), toy_newlink_tb(),
				  extack, &err);
	if (err)
		return err;
	netif_carrier_off(dev);
	err = register_netdevice(dev);
	if (err)
		return err;
	if (peer) {
		rcu_assign_pointer(toy_link(dev)->peer, peer);
		rcu_assign_pointer(toy_link(peer)->peer, dev);
	}
	return 0;
}

/* Deleting an end unplugs the other: it stays, with NO-CARRIER. */
static void toy_link_dellink(struct net_device *dev, struct list_head *head)
{
	struct net_device *peer = rtnl_dereference(toy_link(dev)->peer);

	if (peer) {
		RCU_INIT_POINTER(toy_link(peer)->peer, NULL);
		RCU_INIT_POINTER(toy_link(dev)->peer, NULL);
		netif_carrier_off(peer);
	}
	unregister_netdevice_queue(dev, head);
}

/* The namespace of the other end, shown by ip as "link-netns". */
static struct net *toy_link_get_link_net(const struct net_device *dev)
{
	struct net_device *peer = rcu_dereference_rtnl(toy_link(dev)->peer);

	return peer ? dev_net(peer) : dev_net(dev);
}

TOY_VISIBLE_IF_KUNIT struct rtnl_link_ops toy_link_ops = {
	.kind		= "toy",
	.priv_size	= sizeof(struct toy_link),
	.setup		= toy_link_setup,
	.validate	= toy_link_validate,
	.newlink	= toy_link_newlink,
	.dellink	= toy_link_dellink,
	.get_link_net	= toy_link_get_link_net,
};
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_link_ops);

/**
 * toy_link_register() - offer the link kind "toy" to rtnetlink
 *
 * Return: 0 or a negative errno.
 */
int toy_link_register(void)
{
	return rtnl_link_register(&toy_link_ops);
}

/**
 * toy_link_unregister() - withdraw the kind; deletes every toy link
 */
void toy_link_unregister(void)
{
	rtnl_link_unregister(&toy_link_ops);
}
