// SPDX-License-Identifier: GPL-2.0
/*
 * The device layer of AF_TOY: the virtual net_device toy0, and what every
 * toy device shares (toy_link.c, the cables between nodes, is the other
 * kind).
 *
 * Every network namespace gets one toy0, created and destroyed with the
 * namespace (like lo).  It is a loopback: whatever it transmits comes back
 * in on it.  Its 4-byte hardware address is the node's address, set with
 * stock iproute2 ("ip link set toy0 address 10.0.0.1"); until it is set
 * (0.0.0.0) the node only talks to itself.  A frame's journey through this
 * file:
 *
 *   toy_queue_xmit(skb)     from toy_xmit() in toy_proto.c, the one way
 *                           down, or the toy ARP: af_toy:toy_xmit, then
 *   dev_queue_xmit(skb)
 *     -> toy_dev_xmit()     count tx, drop the sender's charge, and
 *        -> netif_rx()      hand the frame to the receive side of the
 *                           stack, which calls our packet_type handler
 *                           (toy_rcv() in toy_proto.c) in softirq
 *
 * The device has no link-layer header: the toy header is the first byte on
 * the wire, and the frame's type travels in skb->protocol (ETH_P_TOY), so
 * packet sockets - tcpdump - see it in Linux "cooked" form.
 *
 * Statistics are per-cpu (pcpu_sw_netstats), so transmit needs no lock
 * (lltx) and "ip -s link show toy0" sums them.  Frames the receive backlog
 * refuses are counted by the core in rx_dropped.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/if_arp.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "af_toy.h"
#include "toy_trace.h"

/* The largest frame: a header plus TOY_MAX_PAYLOAD (16-bit length). */
#define TOY_DEV_MTU	0xFFFF

static netdev_tx_t toy_dev_xmit(struct sk_buff *skb, struct net_device *dev)
{
	unsigned int len = skb->len;

	skb_tx_timestamp(skb);
	/* The frame leaves its sender here, as on a real NIC: end the
	 * send-buffer charge so the sender may write more.
	 */
	skb_orphan(skb);
	dev_sw_netstats_tx_add(dev, 1, len);

	skb->pkt_type = PACKET_HOST;
	skb_reset_mac_header(skb);
	if (netif_rx(skb) == NET_RX_SUCCESS)
		dev_sw_netstats_rx_add(dev, len);
	return NETDEV_TX_OK;
}

/**
 * toy_queue_xmit() - hand a frame with its header to a device
 * @skb: the frame; consumed
 * @dev: toy0 or a link
 *
 * Return: 0, or a negative errno (qdisc verdicts mapped).
 */
int toy_queue_xmit(struct sk_buff *skb, struct net_device *dev)
{
	int err;

	skb->dev = dev;
	trace_toy_xmit(skb, dev);
	err = dev_queue_xmit(skb);
	return err > 0 ? net_xmit_errno(err) : err;
}

/**
 * toy_dev_stats_init() - .ndo_init of every toy device: per-cpu counters
 * @dev: the device being registered
 *
 * Return: 0 or -ENOMEM.
 */
int toy_dev_stats_init(struct net_device *dev)
{
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	if (!dev->tstats)
		return -ENOMEM;
	return 0;
}

static void toy_dev_free(struct net_device *dev)
{
	free_percpu(dev->tstats);
}

/*
 * The node's address is toy0's hardware address.  0.0.0.0 is "none"
 * (the default, and how to clear it); loopback and broadcast addresses
 * are not a node's: refused with EADDRNOTAVAIL, as IPv4 refuses to bind
 * them.
 */
static int toy_dev_set_addr(struct net_device *dev, void *p)
{
	const struct sockaddr *sa = p;
	__be32 addr;

	memcpy(&addr, sa->sa_data, sizeof(addr));
	if (addr && !toy_addr_is_unicast(addr))
		return -EADDRNOTAVAIL;
	/* The core learns it from NETDEV_CHANGEADDR (toy_neigh.c). */
	dev_addr_set(dev, sa->sa_data);
	return 0;
}

static const struct net_device_ops toy_netdev_ops = {
	.ndo_init		= toy_dev_stats_init,
	.ndo_start_xmit		= toy_dev_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
	.ndo_set_mac_address	= toy_dev_set_addr,
};

/**
 * toy_dev_setup_common() - what every toy device is, toy0 or a link
 * @dev: a device being allocated
 */
void toy_dev_setup_common(struct net_device *dev)
{
	dev->needs_free_netdev = true;
	dev->priv_destructor = toy_dev_free;

	/* "No link layer", and unlike ARPHRD_NONE not a type IPv6
	 * autoconfigures: toy devices carry toy frames and nothing else.
	 */
	dev->type = ARPHRD_VOID;
	dev->hard_header_len = 0;
	dev->mtu = TOY_DEV_MTU;
	/* Room for a header and a useful payload: a stream must never have
	 * segments of nothing to send.
	 */
	dev->min_mtu = TOY_HDR_LEN + TOY_MIN_PAYLOAD;
	dev->max_mtu = TOY_DEV_MTU;
	dev->tx_queue_len = 0;
	dev->flags = IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;

	/*
	 * Frames may be paged (large datagrams).  HW_CSUM is checksum
	 * offload as lo and veth have it: AF_TOY leaves its checksum to the
	 * device (toy_skb_push_hdr()), and a toy device never sums, because
	 * its frames never leave the host.  It can be turned off ("ethtool
	 * -K toy0 tx off"); the core then sums every frame before the device
	 * gets it (validate_xmit_skb()), and captures show real checksums.
	 */
	dev->features = NETIF_F_SG | NETIF_F_FRAGLIST | NETIF_F_HIGHDMA |
			NETIF_F_HW_CSUM;
	dev->hw_features = NETIF_F_SG | NETIF_F_HW_CSUM;
	toy_dev_set_lltx(dev);
}

static void toy_dev_setup(struct net_device *dev)
{
	static const u8 bcast[TOY_ADDR_LEN] = { 0xff, 0xff, 0xff, 0xff };

	toy_dev_setup_common(dev);
	dev->netdev_ops = &toy_netdev_ops;
	/* The node address; "ip link set toy0 address 10.0.0.1" sends these
	 * four bytes.  It stays 0.0.0.0 (no address) until then.
	 */
	dev->addr_len = TOY_ADDR_LEN;
	memcpy(dev->broadcast, bcast, TOY_ADDR_LEN);
	/* toy0 belongs to its namespace; it cannot be moved out. */
	toy_dev_set_netns_local(dev);
}

/**
 * toy_dev_is_loopback() - is this a namespace's toy0?
 * @dev: any device
 *
 * Return: true for toy0.
 */
bool toy_dev_is_loopback(const struct net_device *dev)
{
	return dev->netdev_ops == &toy_netdev_ops;
}

static struct net_device *toy_dev_register(struct net *net,
					   const char *name,
					   unsigned char assign)
{
	struct net_device *dev;
	int err;

	dev = alloc_netdev(0, name, assign, toy_dev_setup);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	dev_net_set(dev, net);
	err = register_netdev(dev);
	if (err) {
		free_netdev(dev);
		return ERR_PTR(err);
	}
	return dev;
}

/**
 * toy_dev_create() - create and bring up toy0 in a namespace
 * @net: the namespace; called from its pernet init
 *
 * If the namespace already has a link named toy0 (anyone who owns a
 * namespace can rename lo to toy0 before the module loads), the loopback
 * takes the next free toyN instead: one namespace's names must not make
 * the module fail to load for every other.
 *
 * Return: the device, or an ERR_PTR.
 */
struct net_device *toy_dev_create(struct net *net)
{
	struct net_device *dev;
	int err;

	dev = toy_dev_register(net, "toy0", NET_NAME_PREDICTABLE);
	if (PTR_ERR_OR_ZERO(dev) == -EEXIST) {
		dev = toy_dev_register(net, "toy%d", NET_NAME_ENUM);
		if (!IS_ERR(dev))
			pr_info("toy0 is taken in this namespace: the loopback is %s\n",
				dev->name);
	}
	if (IS_ERR(dev))
		return dev;

	rtnl_lock();
	err = dev_open(dev, NULL);
	rtnl_unlock();
	if (err)
		goto out_unregister;
	return dev;

out_unregister:
	unregister_netdev(dev);	/* frees it: needs_free_netdev */
	return ERR_PTR(err);
}

/**
 * toy_dev_destroy() - remove toy0 when its namespace goes away
 * @dev: the device returned by toy_dev_create()
 */
void toy_dev_destroy(struct net_device *dev)
{
	unregister_netdev(dev);
}
