	const struct toyhdr *th;

	if (!pskb_may_pull(skb, TOY_HDR_LEN))
		return TOY_RX_BAD_HEADER;
	skb_reset_network_header(skb);
	th = toy_hdr(skb);

	if (!toy_hdr_sane(th))
		return TOY_RX_BAD_HEADER;

	/*
	 * Yours: the payload length the header announces (th->len) against
	 * the bytes that arrived, the frame cut to that length, and the
	 * checksum over the header and the payload, unless the frame never
	 * left this host unsummed (skb_csum_unnecessary()).  Return what
	 * toy_rcv() must count: TOY_RX_BAD_HEADER or TOY_RX_BAD_CSUM.
	 */

	__skb_pull(skb, TOY_HDR_LEN);
	skb_reset_transport_header(skb);
	return TOY_RX_OK;
