// SPDX-License-Identifier: GPL-2.0
/*
 * The AF_TOY protocol core.  Layer: below the protocols and the port
 * tables, above toy_skb.c and toy_netdev.c; the analogue of the
 * packet_type handler and netns glue of net/ipv4 (ip_rcv(),
 * ip_local_deliver(), ip_route_output() in miniature).
 *
 * Owns:
 *   - per network namespace state (struct toy_net, via net_generic): the
 *     counters, the socket list and toy0 (toy_netdev.c); the port tables
 *     and /proc add their own parts (toy_port_net_ops, toy_proc_net_ops);
 *   - the socket list behind /proc/net/toy, and what every AF_TOY socket
 *     needs at creation and destruction;
 *   - routing: which device carries a frame to an address;
 *   - the one way down, toy_xmit(): header on, dev_queue_xmit();
 *   - the one way up, toy_rcv(): the packet_type handler for ETH_P_TOY.
 *
 * How a frame enters: every ETH_P_TOY frame any device receives comes to
 * toy_rcv(), in softirq with RCU held.  It checks the device and the
 * header (toy_skb_validate()), counts what is refused, and hands the
 * rest up by type to toy_dgram_rcv() (toy_dgram.c) or toy_stream_rcv()
 * (toy_stream_input.c).  That dispatch is the only place a lower file of
 * this module calls a higher one: it is the registered upcall, as a
 * packet_type's .func and inet_protos are the kernel's.
 *
 * How a frame leaves: a protocol builds it and calls toy_xmit(), which
 * pushes the header and queues it to the device.
 *
 * Locking: the socket list has its own lock (sklist_lock, BH-safe);
 * per-namespace state lives as long as the namespace, and sockets hold a
 * reference on their namespace.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/net.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "af_toy.h"

static unsigned int toy_net_id __read_mostly;

/**
 * toy_pernet() - AF_TOY state of a namespace
 * @net: the namespace
 *
 * Return: its struct toy_net, valid as long as @net is.
 */
struct toy_net *toy_pernet(const struct net *net)
{
	return net_generic(net, toy_net_id);
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_pernet);

/* ---- sockets ----------------------------------------------------------- */

/**
 * toy_sock_destruct() - free what is left when the last reference goes
 * @sk: the socket (sk->sk_destruct)
 */
void toy_sock_destruct(struct sock *sk)
{
	skb_queue_purge(&sk->sk_receive_queue);
	skb_queue_purge(&sk->sk_error_queue);
	WARN_ON_ONCE(atomic_read(&sk->sk_rmem_alloc));
}

/**
 * toy_sock_init() - protocol part of socket creation
 * @sk: a socket fresh from sk_alloc() and sock_init_data()
 *
 * Makes the socket RCU-freed (the receive path looks sockets up under
 * RCU) and lists it in /proc/net/toy.
 */
void toy_sock_init(struct sock *sk)
{
	struct toy_net *tn = toy_pernet(sock_net(sk));

	sk->sk_destruct = toy_sock_destruct;
	sock_set_flag(sk, SOCK_RCU_FREE);

	spin_lock_bh(&tn->sklist_lock);
	sk_add_node(sk, &tn->sklist);
	spin_unlock_bh(&tn->sklist_lock);
}

/**
 * toy_sock_unlink() - take a socket off the list behind /proc/net/toy
 * @sk: a socket on the list; any context
 *
 * Drops the reference the list held.  The socket's last step before it
 * goes: datagram close, or the destruction of a stream connection.
 */
void toy_sock_unlink(struct sock *sk)
{
	struct toy_net *tn = toy_pernet(sock_net(sk));

	spin_lock_bh(&tn->sklist_lock);
	sk_del_node_init(sk);	/* drops the list's reference */
	spin_unlock_bh(&tn->sklist_lock);
}

/* ---- routing: which device carries a frame to an address --------------- */

/**
 * toy_addr_is_local() - is @addr one of this node's addresses?
 * @addr: a node address, network byte order
 *
 * toy0 is the only device and owns TOY_ADDR_LOOPBACK, so that is the only
 * local address.  A frame to any other unicast address has nowhere to go.
 *
 * Return: true if @addr is local.
 */
bool toy_addr_is_local(__be32 addr)
{
	return addr == htonl(TOY_ADDR_LOOPBACK);
}

/**
 * toy_resolve() - the destination a user-supplied address stands for
 * @daddr: the address, network byte order
 *
 * Return: @daddr, except that TOY_ADDR_ANY means this node, as 0.0.0.0
 * does for IPv4.
 */
__be32 toy_resolve(__be32 daddr)
{
	return daddr == htonl(TOY_ADDR_ANY) ? htonl(TOY_ADDR_LOOPBACK) : daddr;
}

/**
 * toy_route() - choose the device for a frame to @daddr
 * @sk: the sending socket (SO_BROADCAST is checked on it)
 * @daddr: destination, already resolved with toy_resolve()
 * @err: set when NULL is returned
 *
 * Return: the device, valid as long as the socket's namespace, or NULL
 * with -EACCES (broadcast without SO_BROADCAST), -ENETUNREACH (no such
 * node) or -ENETDOWN (toy0 is down).
 */
struct net_device *toy_route(struct sock *sk, __be32 daddr, int *err)
{
	struct net_device *dev = toy_pernet(sock_net(sk))->dev;

	if (daddr == htonl(TOY_ADDR_BROADCAST)) {
		if (!sock_flag(sk, SOCK_BROADCAST)) {
			*err = -EACCES;
			return NULL;
		}
	} else if (!toy_addr_is_local(daddr)) {
		*err = -ENETUNREACH;
		return NULL;
	}
	if (!netif_running(dev)) {
		*err = -ENETDOWN;
		return NULL;
	}
	return dev;
}

/**
 * toy_sk_dev() - the device a connected socket's frames go out on
 * @sk: the socket
 *
 * A connection's peer is on this node, so that is toy0, as toy_route()
 * chose at connect().  Valid as long as the socket's namespace.
 *
 * Return: the device.
 */
struct net_device *toy_sk_dev(const struct sock *sk)
{
	return toy_pernet(sock_net(sk))->dev;
}

/**
 * toy_max_payload() - the largest payload one frame on @dev can carry
 * @dev: the device
 *
 * Return: the smaller of TOY_MAX_PAYLOAD and what the MTU leaves.
 */
unsigned int toy_max_payload(const struct net_device *dev)
{
	return min_t(unsigned int, TOY_MAX_PAYLOAD,
		     READ_ONCE(dev->mtu) - TOY_HDR_LEN);
}

/* ---- frames out -------------------------------------------------------- */

/**
 * toy_xmit() - send a frame down to a device: the one way down
 * @dev: the device, from toy_route() or toy_sk_dev()
 * @skb: the frame, payload only, with TOY_HDR_LEN of headroom; consumed
 * @fl: its header
 *
 * Return: 0, or a negative errno if the device refused it (only the
 * caller that counts drops, datagram send, looks).
 */
int toy_xmit(struct net_device *dev, struct sk_buff *skb,
	     const struct toy_flow *fl)
{
	int err;

	toy_skb_push_hdr(skb, fl);
	skb->dev = dev;
	err = dev_queue_xmit(skb);
	return err > 0 ? net_xmit_errno(err) : err;
}

/* ---- frames in (softirq) ----------------------------------------------- */

/*
 * The packet_type handler: every ETH_P_TOY frame received by any device
 * comes here, in softirq with RCU held.  It owns @skb from here on.
 */
static int toy_rcv(struct sk_buff *skb, struct net_device *dev,
		   struct packet_type *pt, struct net_device *orig_dev)
{
	struct toy_net *tn = toy_pernet(dev_net(dev));
	enum toy_rx_verdict verdict;

	if (!toy_dev_is_toy(dev) || skb->pkt_type == PACKET_OTHERHOST)
		goto drop;
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return NET_RX_DROP;

	verdict = toy_skb_validate(skb);
	if (verdict != TOY_RX_OK) {
		TOY_INC_STATS(tn, verdict == TOY_RX_BAD_CSUM ?
			      TOY_MIB_INCSUMERRORS : TOY_MIB_HDRERRORS);
		TOY_INC_STATS(tn, TOY_MIB_INERRORS);
		goto drop;
	}
	if (toy_hdr(skb)->type == TOY_TYPE_DGRAM)
		return toy_dgram_rcv(tn, skb);
	return toy_stream_rcv(tn, skb);
drop:
	kfree_skb(skb);
	return NET_RX_DROP;
}

/* Receives every ETH_P_TOY frame: see toy_rcv(). */
struct packet_type toy_packet_type __read_mostly = {
	.type	= cpu_to_be16(ETH_P_TOY),
	.func	= toy_rcv,
};
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_packet_type);

/* ---- per-namespace setup ----------------------------------------------- */

/*
 * The core of a new namespace: its counters, its socket list and toy0.
 * The port tables (toy_port.c) and /proc (toy_proc.c) register their own
 * per-namespace parts after this one, as each file owns its
 * registrations; exits run in the reverse order.
 */
static int __net_init toy_net_init(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);

	spin_lock_init(&tn->sklist_lock);
	INIT_HLIST_HEAD(&tn->sklist);
	tn->mib = alloc_percpu(struct toy_mib);
	if (!tn->mib)
		return -ENOMEM;
	tn->dev = toy_dev_create(net);
	if (IS_ERR(tn->dev)) {
		free_percpu(tn->mib);
		return PTR_ERR(tn->dev);
	}
	return 0;
}

static void __net_exit toy_net_exit(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);

	/* Sockets hold a reference on their namespace: none is left. */
	toy_dev_destroy(tn->dev);
	free_percpu(tn->mib);
}

/* Creates and destroys struct toy_net and toy0 with each namespace. */
struct pernet_operations toy_net_ops = {
	.init	= toy_net_init,
	.exit	= toy_net_exit,
	.id	= &toy_net_id,
	.size	= sizeof(struct toy_net),
};
