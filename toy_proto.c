// SPDX-License-Identifier: GPL-2.0
/*
 * The AF_TOY protocol core.  Layer: below the protocols and the port
 * tables, above the neighbour cache (toy_neigh.c), toy_skb.c and the
 * devices; the analogue of the packet_type handler, routing and netns
 * glue of net/ipv4 (ip_rcv(), ip_local_deliver(), ip_route_output() in
 * miniature).
 *
 * Owns:
 *   - per network namespace state (struct toy_net, via net_generic): the
 *     counters, the socket list, the node's address and the neighbour
 *     cache, as a pernet subsystem; toy0 (toy_netdev.c) as a pernet
 *     device op; the port tables and /proc add their own parts
 *     (toy_port_net_ops, toy_proc_net_ops);
 *   - the socket list behind /proc/net/toy, and what every AF_TOY socket
 *     needs at creation and destruction;
 *   - addresses and routing: which addresses are this node's (127.0.0.1
 *     and toy0's hardware address), and which way a frame goes;
 *   - the one way down, toy_xmit(): header on, then toy0, every link
 *     (broadcast) or the neighbour cache, which picks the link;
 *   - the one way up, toy_rcv(): the packet_type handler for ETH_P_TOY;
 *   - device events: toy0's address, links up and down.
 *
 * How a frame enters: every ETH_P_TOY frame any device receives comes to
 * toy_rcv(), in softirq with RCU held.  It checks the device and the
 * header (toy_skb_validate()), hands the toy ARP's frames down to
 * toy_neigh_rcv(), counts what is refused or not for this node, and hands
 * the rest up by type to toy_dgram_rcv() (toy_dgram.c) or
 * toy_stream_rcv() (toy_stream_input.c).  That dispatch is the only place
 * a lower file of this module calls a higher one: it is the registered
 * upcall, as a packet_type's .func and inet_protos are the kernel's.
 *
 * How a frame leaves: a protocol builds it and calls toy_xmit(), which
 * pushes the header and queues it to a device.
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

/* The trace events are defined here, once (see toy_trace.h). */
#define CREATE_TRACE_POINTS
#include "toy_trace.h"

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
	toy_neigh_uncache(&toy_sk(sk)->route);
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

/* ---- addresses: which are this node's ---------------------------------- */

/**
 * toy_node_addr() - this node's address
 * @net: the node (a namespace)
 *
 * Return: toy0's hardware address, or 0 while none is set.
 */
__be32 toy_node_addr(const struct net *net)
{
	return READ_ONCE(toy_pernet(net)->node_addr);
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_node_addr);

/**
 * toy_addr_is_local() - is @addr one of this node's addresses?
 * @net: the node
 * @addr: a node address, network byte order
 *
 * TOY_ADDR_LOOPBACK always is (toy0 owns it); so is the node's address,
 * once set.
 *
 * Return: true if @addr is local.
 */
bool toy_addr_is_local(const struct net *net, __be32 addr)
{
	__be32 self;

	if (addr == htonl(TOY_ADDR_LOOPBACK))
		return true;
	self = toy_node_addr(net);
	return self && addr == self;
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_addr_is_local);

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
 * toy_source_addr() - the source address of a frame to @daddr
 * @net: the node
 * @daddr: the destination
 *
 * As IPv4 picks the address of the outgoing interface: loopback to
 * loopback, the node's address to anywhere else (loopback while the node
 * has none: such frames never leave it).
 *
 * Return: the address, network byte order.
 */
__be32 toy_source_addr(const struct net *net, __be32 daddr)
{
	__be32 self = toy_node_addr(net);

	if (daddr == htonl(TOY_ADDR_LOOPBACK) || !self)
		return htonl(TOY_ADDR_LOOPBACK);
	return self;
}

/* ---- routing: can a frame reach an address, and how large may it be? --- */

/**
 * toy_route() - check that a socket's frame can go to @daddr
 * @sk: the sending socket (SO_BROADCAST is checked on it)
 * @daddr: destination, already resolved with toy_resolve()
 * @max_payload: if not NULL, set to the largest payload one frame on
 *		 that path carries
 *
 * This node's addresses are reached through toy0; others through the
 * link the neighbour cache knows (toy_neigh.c).  A broadcast goes on toy0
 * and every link that is up, so it must fit all of them.
 *
 * Return: 0, or -EACCES (broadcast without SO_BROADCAST), -ENETDOWN (toy0
 * is down), -ENETUNREACH (no address, or no link up), -EHOSTUNREACH (the
 * node did not answer lately).
 */
int toy_route(struct sock *sk, __be32 daddr, unsigned int *max_payload)
{
	struct net *net = sock_net(sk);
	struct toy_net *tn = toy_pernet(net);
	struct net_device *lo = READ_ONCE(tn->dev);
	bool bcast = daddr == htonl(TOY_ADDR_BROADCAST);
	unsigned int mtu;

	if (bcast && !sock_flag(sk, SOCK_BROADCAST))
		return -EACCES;
	if (!bcast && !toy_addr_is_local(net, daddr))
		return toy_neigh_route(tn, daddr, max_payload);
	if (!lo || !netif_running(lo))
		return -ENETDOWN;
	if (max_payload) {
		*max_payload = toy_max_payload(lo);
		mtu = bcast && toy_node_addr(net) ? toy_link_min_mtu(net) : 0;
		if (mtu)
			*max_payload = min(*max_payload, mtu - TOY_HDR_LEN);
	}
	return 0;
}

/**
 * toy_sk_dev() - the device a socket's frames are allocated for
 * @sk: the socket
 *
 * toy0: every toy device needs the same headroom, and toy0 lives as long
 * as the socket's namespace, so buffers are sized by it whatever link
 * carries them.
 *
 * Return: the device.
 */
struct net_device *toy_sk_dev(const struct sock *sk)
{
	return READ_ONCE(toy_pernet(sock_net(sk))->dev);
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

/* A copy of a broadcast on every link that is up (never forwarded on). */
static void toy_xmit_links(struct net *net, struct sk_buff *skb)
{
	struct net_device *dev;
	struct sk_buff *copy;

	for_each_netdev_rcu(net, dev) {
		if (!toy_link_is_up(dev))
			continue;
		copy = skb_clone(skb, GFP_ATOMIC);
		if (copy)
			toy_queue_xmit(copy, dev);
	}
}

/**
 * toy_xmit() - send a frame on its way: the one way down
 * @net: the sender's namespace
 * @skb: the frame, payload only, with TOY_HDR_LEN of headroom; consumed
 * @fl: its header
 * @route: the sending socket's route cache, toy_sk_route(), or NULL
 *	   for a frame of no socket's (a reply made in softirq)
 *
 * Routes by destination: this node's addresses loop back through toy0,
 * a broadcast goes through toy0 and on every link, and anything else
 * goes to the neighbour cache, which finds the link, or takes it from
 * @route and fills @route.
 *
 * Return: 0, or a negative errno if the frame was refused (only the
 * caller that counts drops, datagram send, looks).
 */
int toy_xmit(struct net *net, struct sk_buff *skb, const struct toy_flow *fl,
	     struct toy_neigh __rcu **route)
{
	struct toy_net *tn = toy_pernet(net);
	bool bcast = fl->daddr == htonl(TOY_ADDR_BROADCAST);
	struct net_device *lo;
	int err;

	toy_skb_push_hdr(skb, fl);
	rcu_read_lock();
	if (!bcast && !toy_addr_is_local(net, fl->daddr)) {
		err = toy_neigh_output(tn, skb, fl->daddr, route);
		goto out;
	}
	if (bcast && READ_ONCE(tn->node_addr))
		toy_xmit_links(net, skb);
	lo = READ_ONCE(tn->dev);
	if (lo) {
		err = toy_queue_xmit(skb, lo);
	} else {
		/* the namespace is going away */
		kfree_skb_reason(skb, SKB_DROP_REASON_DEV_READY);
		err = -ENETDOWN;
	}
out:
	rcu_read_unlock();
	return err;
}

/* ---- frames in (softirq) ----------------------------------------------- */

/*
 * Is a validated frame for this node?  It must be addressed to one of its
 * addresses or be a broadcast, and one from a link must come from another
 * node: a loopback or our own source address there is a forgery (IPv4
 * calls those martians).  Forwarding would start here.
 */
static bool toy_rcv_addressed(const struct net *net, const struct sk_buff *skb)
{
	const struct toyhdr *th = toy_hdr(skb);

	if (!toy_dev_is_loopback(skb->dev) &&
	    (!toy_addr_is_unicast(th->saddr) ||
	     toy_addr_is_local(net, th->saddr)))
		return false;
	return th->daddr == htonl(TOY_ADDR_BROADCAST) ||
	       toy_addr_is_local(net, th->daddr);
}

/*
 * The packet_type handler: every ETH_P_TOY frame received by any device
 * comes here, in softirq with RCU held.  It owns @skb from here on.
 */
static int toy_rcv(struct sk_buff *skb, struct net_device *dev,
		   struct packet_type *pt, struct net_device *orig_dev)
{
	struct toy_net *tn = toy_pernet(dev_net(dev));
	enum skb_drop_reason reason = SKB_DROP_REASON_OTHERHOST;
	enum toy_rx_verdict verdict;

	if (!toy_dev_is_toy(dev) || skb->pkt_type == PACKET_OTHERHOST)
		goto drop;
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return NET_RX_DROP;

	verdict = toy_skb_validate(skb);
	trace_toy_rcv(skb, verdict);
	if (verdict != TOY_RX_OK) {
		TOY_INC_STATS(tn, verdict == TOY_RX_BAD_CSUM ?
			      TOY_MIB_INCSUMERRORS : TOY_MIB_HDRERRORS);
		TOY_INC_STATS(tn, TOY_MIB_INERRORS);
		/* The kernel has no "bad header" reason for a family of its
		 * own; the closest, and af_toy:toy_rcv's verdict says which.
		 */
		reason = verdict == TOY_RX_BAD_CSUM ? SKB_DROP_REASON_SKB_CSUM :
			 SKB_DROP_REASON_INVALID_PROTO;
		goto drop;
	}
	if (toy_hdr(skb)->type == TOY_TYPE_NEIGH)
		return toy_neigh_rcv(tn, skb);
	if (!toy_rcv_addressed(dev_net(dev), skb)) {
		TOY_INC_STATS(tn, TOY_MIB_INADDRERRORS);
		TOY_INC_STATS(tn, TOY_MIB_INERRORS);
		reason = SKB_DROP_REASON_IP_INADDRERRORS;
		goto drop;
	}
	if (toy_hdr(skb)->type == TOY_TYPE_DGRAM)
		return toy_dgram_rcv(tn, skb);
	return toy_stream_rcv(tn, skb);
drop:
	kfree_skb_reason(skb, reason);
	return NET_RX_DROP;
}

/* Receives every ETH_P_TOY frame: see toy_rcv(). */
struct packet_type toy_packet_type __read_mostly = {
	.type	= cpu_to_be16(ETH_P_TOY),
	.func	= toy_rcv,
};
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_packet_type);

/* ---- device events ----------------------------------------------------- */

/*
 * What the core does when a toy device changes: toy0's hardware address
 * is the node's address, and the neighbour cache follows the links.
 * Runs in process context with RTNL held.
 */
static int toy_netdev_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct toy_net *tn;
	__be32 addr;

	if (!toy_dev_is_toy(dev))
		return NOTIFY_DONE;
	tn = toy_pernet(dev_net(dev));
	if (toy_dev_is_loopback(dev)) {
		if (event != NETDEV_CHANGEADDR)
			return NOTIFY_DONE;
		memcpy(&addr, dev->dev_addr, sizeof(addr));
		WRITE_ONCE(tn->node_addr, addr);
		toy_neigh_announce(tn, NULL);
		return NOTIFY_DONE;
	}
	switch (event) {
	case NETDEV_CHANGE:	/* linkwatch: the carrier came or went */
		if (toy_link_is_up(dev))
			toy_neigh_announce(tn, dev);
		else
			toy_neigh_flush(tn, dev);
		break;
	case NETDEV_DOWN:
	case NETDEV_UNREGISTER:
		toy_neigh_flush(tn, dev);
		break;
	}
	return NOTIFY_DONE;
}

/* Registered with register_netdevice_notifier() by the module. */
struct notifier_block toy_netdev_notifier = {
	.notifier_call = toy_netdev_event,
};

/* ---- per-namespace setup ----------------------------------------------- */

/*
 * The core of a new namespace: its counters, its socket list and its
 * neighbour cache.  A pernet *subsystem*, so that it outlives every
 * device of the namespace: a link's peer in another namespace can send
 * it frames until the link is deleted, which happens after the pernet
 * device ops' exits (toy0's below) and before the subsystems'.  The port
 * tables (toy_port.c) and /proc (toy_proc.c) register their own parts
 * after this one, as each file owns its registrations; exits run in the
 * reverse order.
 */
static int __net_init toy_net_init(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);

	spin_lock_init(&tn->sklist_lock);
	INIT_HLIST_HEAD(&tn->sklist);
	toy_neigh_table_init(tn, net);
	tn->mib = alloc_percpu(struct toy_mib);
	if (!tn->mib)
		return -ENOMEM;
	return 0;
}

static void __net_exit toy_net_exit(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);

	/* Sockets hold a reference on their namespace, and its links are
	 * gone: nothing sends or receives any more.
	 */
	toy_neigh_table_exit(tn);
	free_percpu(tn->mib);
}

/* Creates and destroys struct toy_net with each namespace. */
struct pernet_operations toy_net_ops = {
	.init	= toy_net_init,
	.exit	= toy_net_exit,
	.id	= &toy_net_id,
	.size	= sizeof(struct toy_net),
};

/*
 * toy0 is a pernet *device* op: created after the subsystems' state and
 * destroyed, with the namespace's other devices, before it.
 */
static int __net_init toy_loopback_net_init(struct net *net)
{
	struct net_device *dev = toy_dev_create(net);

	if (IS_ERR(dev))
		return PTR_ERR(dev);
	WRITE_ONCE(toy_pernet(net)->dev, dev);
	return 0;
}

static void __net_exit toy_loopback_net_exit(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);
	struct net_device *dev = tn->dev;

	WRITE_ONCE(tn->dev, NULL);
	toy_dev_destroy(dev);	/* waits for readers: synchronize_net() */
}

/* Creates and destroys toy0 with each namespace. */
struct pernet_operations toy_loopback_net_ops = {
	.init	= toy_loopback_net_init,
	.exit	= toy_loopback_net_exit,
};
