// SPDX-License-Identifier: GPL-2.0
/*
 * The sk_buff layer of AF_TOY.
 *
 * Owns the frame layout: how much headroom a frame needs, how the toy
 * header is pushed in front of the payload, and how a received frame is
 * checked before anyone trusts a byte of it.
 *
 *   transmit:  toy_skb_alloc_send()   a datagram's payload copied in,
 *                                     charged to the sender
 *              toy_skb_alloc_data()   a seqpacket record's payload copied in
 *              toy_skb_add_frags()    a stream's bytes copied into page
 *                                     fragments of a segment
 *              toy_skb_alloc_ctl()    a header-only frame (ACK, RST, ...)
 *              toy_skb_split()        a stream segment cut to fit a window
 *              toy_skb_push_hdr()     header in front of it, checksum
 *                                     left to the device (offload)
 *   receive:   toy_skb_validate()     header checked, frame trimmed,
 *                                     checksum verified unless the frame
 *                                     never left the host, header pulled
 *              toy_skb_flow()         the header read into a toy_flow
 *   replies:   toy_flow_reply()       a toy_flow with the ends swapped
 *
 * It is a leaf: it calls nothing else in the module.
 *
 * Memory accounting: a datagram socket is charged for its frames through
 * sock_alloc_send_pskb() (sk_wmem_alloc, bounded by SO_SNDBUF); the charge
 * ends when the device orphans the frame.  The receiving socket is charged
 * when sock_queue_rcv_skb() queues it (sk_rmem_alloc, bounded by
 * SO_RCVBUF) and uncharged when the reader frees it.  A stream segment
 * is charged by the stream files instead: to sk_wmem_queued while it
 * waits for its acknowledgment (toy_stream_output.c), and to sk_rmem_alloc
 * and the protocol's pool when received (toy_stream_input.c).
 */

#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/sock.h>

#include "af_toy.h"

/*
 * Datagrams up to this size live in the linear part of the skb; above it
 * the rest goes into page fragments, so a 64 KiB datagram never needs a
 * high-order allocation (the same split AF_UNIX makes).
 */
static size_t toy_linear_len(size_t len)
{
	if (len <= SKB_MAX_ALLOC)
		return len;
	return len - PAGE_ALIGN(len - SKB_MAX_ALLOC);
}

static unsigned int toy_headroom(const struct net_device *dev)
{
	return LL_RESERVED_SPACE(dev) + TOY_HDR_LEN;
}

/*
 * Lay out a freshly allocated frame (@linear bytes of linear data, the
 * rest in the page fragments it was allocated with), leave room for the
 * header in front, and copy @len payload bytes from @msg.  Frees @skb on
 * failure.
 */
static struct sk_buff *toy_skb_fill(struct sk_buff *skb, struct net_device *dev,
				    struct msghdr *msg, size_t len,
				    size_t linear, int *err)
{
	skb_reserve(skb, toy_headroom(dev));
	skb_put(skb, linear);
	skb->data_len = len - linear;
	skb->len = len;

	*err = skb_copy_datagram_from_iter(skb, 0, &msg->msg_iter, len);
	if (*err) {
		kfree_skb_reason(skb, SKB_DROP_REASON_SKB_UCOPY_FAULT);
		return NULL;
	}
	return skb;
}

/**
 * toy_skb_alloc_send() - allocate a frame for a socket and copy its payload
 * @sk: the sending socket, which is charged for the frame
 * @dev: the device that will transmit it (decides the headroom)
 * @msg: the user's message; @len bytes are copied from its iterator
 * @len: payload length, already checked against the device MTU
 * @err: set to a negative errno when NULL is returned
 *
 * Blocks while the socket's send buffer is full unless MSG_DONTWAIT, and
 * fails with the pending socket error or EPIPE after shutdown(SHUT_WR),
 * all via sock_alloc_send_pskb(), exactly as UDP does.
 *
 * Return: the skb with data pointing at the payload and room for the
 * header in front, or NULL.
 */
struct sk_buff *toy_skb_alloc_send(struct sock *sk, struct net_device *dev,
				   struct msghdr *msg, size_t len, int *err)
{
	size_t linear = toy_linear_len(len);
	struct sk_buff *skb;

	skb = sock_alloc_send_pskb(sk, toy_headroom(dev) + linear, len - linear,
				   msg->msg_flags & MSG_DONTWAIT, err,
				   PAGE_ALLOC_COSTLY_ORDER);
	if (!skb)
		return NULL;
	skb = toy_skb_fill(skb, dev, msg, len, linear, err);
	if (!skb)
		return NULL;
	skb->priority = READ_ONCE(sk->sk_priority);
	skb->mark = READ_ONCE(sk->sk_mark);
	return skb;
}

/**
 * toy_skb_alloc_data() - allocate a seqpacket record and copy its payload
 * @sk: the sending socket (its allocation flags are used)
 * @dev: the device that will transmit it (decides the headroom)
 * @msg: the user's message; @len bytes are copied from its iterator
 * @len: payload length, at most the device's largest payload
 * @err: set to a negative errno when NULL is returned
 *
 * Unlike toy_skb_alloc_send(), the segment is not charged to the socket's
 * sk_wmem_alloc: it stays on the write queue until acknowledged, and the
 * stream accounts for it in sk_wmem_queued, which SO_SNDBUF bounds.
 *
 * Return: the skb with data pointing at the payload, or NULL.
 */
struct sk_buff *toy_skb_alloc_data(struct sock *sk, struct net_device *dev,
				   struct msghdr *msg, size_t len, int *err)
{
	size_t linear = toy_linear_len(len);
	struct sk_buff *skb;

	skb = alloc_skb_with_frags(toy_headroom(dev) + linear, len - linear,
				   PAGE_ALLOC_COSTLY_ORDER, err,
				   sk->sk_allocation);
	if (!skb)
		return NULL;
	return toy_skb_fill(skb, dev, msg, len, linear, err);
}

/**
 * toy_skb_add_frags() - copy a stream's bytes into page fragments of a segment
 * @sk: the sending socket; its page_frag (the task's) supplies the pages
 * @skb: a segment never transmitted, so never cloned
 * @msg: the user's message
 * @len: bytes to copy at most
 *
 * As tcp_sendmsg_locked() does: the bytes go into the socket's page_frag,
 * a large page that is reused as soon as every segment on it was freed,
 * so a steady stream allocates (and zeroes) next to no memory; bytes that
 * follow the last fragment in the same page extend it.  Nothing is
 * charged here: skb->truesize grows by the bytes copied, and the caller
 * charges them.
 *
 * Return: bytes copied, fewer than @len when pages or fragment slots ran
 * out or the user's buffer faulted part way; 0 if no page could be had;
 * -EFAULT if the first byte faulted.
 */
int toy_skb_add_frags(struct sock *sk, struct sk_buff *skb,
		      struct msghdr *msg, size_t len)
{
	struct page_frag *pfrag = sk_page_frag(sk);
	size_t done = 0, copy, n;
	bool merge;
	int i;

	while (done < len) {
		if (!sk_page_frag_refill(sk, pfrag))
			break;
		i = skb_shinfo(skb)->nr_frags;
		merge = skb_can_coalesce(skb, i, pfrag->page, pfrag->offset);
		if (!merge && i >= MAX_SKB_FRAGS)
			break;
		copy = min_t(size_t, len - done, pfrag->size - pfrag->offset);
		n = copy_page_from_iter(pfrag->page, pfrag->offset, copy,
					&msg->msg_iter);
		if (n != copy) {
			iov_iter_revert(&msg->msg_iter, n);
			return done ? done : -EFAULT;
		}
		if (merge) {
			skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], copy);
		} else {
			skb_fill_page_desc(skb, i, pfrag->page, pfrag->offset,
					   copy);
			get_page(pfrag->page);
		}
		pfrag->offset += copy;
		skb->len += copy;
		skb->data_len += copy;
		skb->truesize += copy;
		done += copy;
	}
	return done;
}

/**
 * toy_skb_split() - cut a segment in two
 * @skb: the segment; keeps the first @len payload bytes
 * @dev: the device that will transmit them (decides the headroom)
 * @len: payload bytes to leave in @skb
 * @gfp: allocation context
 *
 * skb_split() rewrites the shared info (the page fragments) that every
 * clone of @skb shares, so a clone still in flight - in a qdisc, a packet
 * tap, a receive queue - would describe bytes that are no longer there.
 * So a cloned @skb first gets a private head, as tcp_fragment() does.
 * Its truesize may grow by that; the caller re-reads it.
 *
 * The moved bytes take their share of truesize along, as in
 * tcp_fragment(), or a short head would be charged for the whole original.
 *
 * Return: the tail, holding the payload from @len on, or NULL.
 */
struct sk_buff *toy_skb_split(struct sk_buff *skb, struct net_device *dev,
			      u32 len, gfp_t gfp)
{
	unsigned int moved = skb->len - len;
	struct sk_buff *tail;
	int linear;

	if (skb_unclone(skb, gfp))
		return NULL;
	linear = max_t(int, skb_headlen(skb) - (int)len, 0);
	tail = alloc_skb(toy_headroom(dev) + linear, gfp);
	if (!tail)
		return NULL;
	skb_reserve(tail, toy_headroom(dev));
	skb_split(skb, tail, len);
	skb->truesize -= moved;
	tail->truesize += moved;
	return tail;
}

/**
 * toy_skb_alloc_ctl() - allocate a frame with no payload
 * @dev: the device that will transmit it
 * @gfp: allocation context (GFP_ATOMIC from the receive path)
 *
 * Control frames (a datagram's "port unreachable" reply, later the stream
 * handshake) belong to no socket and are charged to none.
 *
 * Return: an empty skb with room for the header, or NULL.
 */
struct sk_buff *toy_skb_alloc_ctl(struct net_device *dev, gfp_t gfp)
{
	struct sk_buff *skb;

	skb = alloc_skb(toy_headroom(dev), gfp);
	if (skb)
		skb_reserve(skb, toy_headroom(dev));
	return skb;
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_skb_alloc_ctl);

/**
 * toy_skb_push_hdr() - put the toy header in front of a frame's payload
 * @skb: a frame whose data is exactly the payload
 * @fl: addresses, ports, type and flags of the frame
 *
 * Also sets what the device and the packet taps need: the network header
 * offset and skb->protocol.
 *
 * The checksum (the Internet checksum over header and payload) is left to
 * the device, as TCP and UDP leave theirs to lo and veth: check is zero
 * and the frame is CHECKSUM_PARTIAL from the header on.  Every toy device
 * advertises NETIF_F_HW_CSUM and never sums, since its frames never leave
 * the host; whatever needs the real sum computes it with
 * skb_checksum_help() first: the core, for a device whose offload was
 * turned off ("ethtool -K toy0 tx off"), and netem before it corrupts a
 * byte.  So no byte of payload is summed on the way out.
 */
void toy_skb_push_hdr(struct sk_buff *skb, const struct toy_flow *fl)
{
	unsigned int payload = skb->len;
	struct toyhdr *th;

	th = skb_push(skb, TOY_HDR_LEN);
	skb_reset_network_header(skb);
	memset(th, 0, sizeof(*th));
	th->version = TOY_VERSION;
	th->type = fl->type;
	th->flags = fl->flags;
	th->sport = fl->sport;
	th->dport = fl->dport;
	th->saddr = fl->saddr;
	th->daddr = fl->daddr;
	th->seq = htonl(fl->seq);
	th->ack = htonl(fl->ack);
	th->window = htons(fl->window);
	th->len = htons(payload);

	skb->protocol = htons(ETH_P_TOY);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_network_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct toyhdr, check);
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_skb_push_hdr);

/**
 * toy_skb_flow() - read a validated frame's header into a struct toy_flow
 * @skb: a frame that passed toy_skb_validate()
 * @fl: filled with its addresses, ports, type, flags, seq, ack and window
 */
void toy_skb_flow(const struct sk_buff *skb, struct toy_flow *fl)
{
	const struct toyhdr *th = toy_hdr(skb);

	fl->saddr = th->saddr;
	fl->daddr = th->daddr;
	fl->sport = th->sport;
	fl->dport = th->dport;
	fl->type = th->type;
	fl->flags = th->flags;
	fl->seq = ntohl(th->seq);
	fl->ack = ntohl(th->ack);
	fl->window = ntohs(th->window);
}

/**
 * toy_flow_reply() - the addressing of a reply to a frame
 * @in: the frame's header
 * @out: set to a header with addresses and ports swapped, the same type,
 *	 and everything else zero; the caller fills in flags and numbers
 */
void toy_flow_reply(const struct toy_flow *in, struct toy_flow *out)
{
	*out = (struct toy_flow){
		.saddr = in->daddr, .daddr = in->saddr,
		.sport = in->dport, .dport = in->sport,
		.type = in->type,
	};
}

#define TOY_F_ALL	(TOY_F_DATA | TOY_F_SYN | TOY_F_ACK | TOY_F_FIN | \
			 TOY_F_RST | TOY_F_DSACK)

/* The toy ARP's frames carry exactly one of its two flags. */
static bool toy_flags_sane(u8 type, u8 flags)
{
	if (type == TOY_TYPE_NEIGH)
		return flags == TOY_F_WHO_HAS || flags == TOY_F_IS_AT;
	return !(flags & ~TOY_F_ALL);
}

static bool toy_hdr_sane(const struct toyhdr *th)
{
	return th->version == TOY_VERSION &&
	       th->type >= TOY_TYPE_DGRAM && th->type <= TOY_TYPE_NEIGH &&
	       toy_flags_sane(th->type, th->flags) &&
	       !th->reserved && !th->reserved2;
}

/**
 * toy_skb_validate() - check a received frame before it is trusted
 * @skb: a frame from a toy device, data at the toy header; not shared
 *
 * Checks, in order: the header is present, its fixed fields are sane, the
 * announced payload fits in the frame (any excess is trimmed off, as IP
 * does), and the checksum matches.  A frame that never left the host and
 * was never summed (CHECKSUM_PARTIAL, see toy_skb_push_hdr()) is trusted,
 * as udp_lib_checksum_complete() trusts one: skb_csum_unnecessary().
 * Nothing beyond the bytes actually
 * received is ever read.  On success the header is pulled: data points at
 * the payload and toy_hdr() at the header.
 *
 * Return: TOY_RX_OK, or why the frame must be dropped.
 */
enum toy_rx_verdict toy_skb_validate(struct sk_buff *skb)
{
	const struct toyhdr *th;
	unsigned int frame_len;

	if (!pskb_may_pull(skb, TOY_HDR_LEN))
		return TOY_RX_BAD_HEADER;
	skb_reset_network_header(skb);
	th = toy_hdr(skb);

	if (!toy_hdr_sane(th))
		return TOY_RX_BAD_HEADER;
	frame_len = TOY_HDR_LEN + ntohs(th->len);
	if (frame_len > skb->len)
		return TOY_RX_BAD_HEADER;
	if (pskb_trim_rcsum(skb, frame_len))
		return TOY_RX_BAD_HEADER;

	if (!skb_csum_unnecessary(skb) &&
	    csum_fold(skb_checksum(skb, 0, skb->len, 0)))
		return TOY_RX_BAD_CSUM;

	__skb_pull(skb, TOY_HDR_LEN);
	skb_reset_transport_header(skb);
	return TOY_RX_OK;
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_skb_validate);
