// How a captured frame is presented to the filter: a pcap holds the frame with its
// VLAN tag in band, but on receive the Linux kernel strips the outer tag into the skb
// (skb_vlan_untag in __netif_receive_skb_core, for TPID 0x8100 and 0x88a8, whatever
// the NIC's offload settings) before packet sockets and their filters see it. So replay
// strips an outer 0x8100/0x88a8 tag and passes it as ancillary data (vlanp = 1,
// vlan_tci, vlan_tpid); inner (QinQ) tags stay in band, as in the kernel.
import type { BpfAncillary } from '../bpf/interp';
import { ETH_P_8021AD, ETH_P_8021Q } from '../net/ethertypes';

/**
 * Copies `frame` into `out` as the kernel would present it to a packet socket, and
 * fills `anc`. Returns the length written, or -1 when the kernel frees the frame before
 * any packet socket sees it (a tagged frame with fewer than 6 bytes after the
 * Ethernet header: skb_vlan_untag cannot pull the tag).
 */
export function kernelView(frame: Uint8Array, out: Uint8Array, anc: BpfAncillary): number {
  const len = frame.length;
  anc.vlanPresent = 0;
  anc.vlanTci = 0;
  anc.vlanTpid = 0;
  anc.protocol = len >= 14 ? (frame[12]! << 8) | frame[13]! : 0;
  if (len >= 14) {
    const tpid = (frame[12]! << 8) | frame[13]!;
    if (tpid === ETH_P_8021Q || tpid === ETH_P_8021AD) {
      // skb_vlan_untag wants the tag plus 2 more bytes after the Ethernet header, or frees the frame.
      if (len < 14 + 6) return -1;
      anc.vlanPresent = 1;
      anc.vlanTpid = tpid;
      anc.vlanTci = (frame[14]! << 8) | frame[15]!;
      anc.protocol = (frame[16]! << 8) | frame[17]!;
      out.set(frame.subarray(0, 12), 0);
      out.set(frame.subarray(16), 12);
      return len - 4;
    }
  }
  out.set(frame, 0);
  return len;
}
