// PolicyOutput into the TX rings: frames the policy sends on its own (refresh probes,
// resolutions for redirect targets, deferred answers, announcements of static entries).
// Inside a batch handler the engine sends committed slots when the handler returns;
// from timers the daemon calls flushAll() after policy.tick().
import type { Ip4, Ip6, Mac } from '../net/addr';
import type { PolicyOutput } from '../policy/types';
import {
  buildArpReply, buildArpRequest, buildGratuitousArp, buildNeighborAdvertisement, buildNeighborSolicitation,
  buildNsResolve, buildUnsolicitedNa,
} from '../wire/build';
import { FAMILY_V4, FAMILY_V6, ReplyAction } from './stats';
import type { IfaceSlot } from './pipeline';

export class RingOutput implements PolicyOutput {
  /** Same array object as the pipeline's after every reload. */
  slots: IfaceSlot[] = [];
  /** Frames the policy wanted sent on an interface that had no ring at that moment. */
  noRing = 0;
  /** Answers and announcements not sent because the interface is an HA standby. */
  withheld = 0;

  /** HA standby: deferred answers and announcements stay unsent (probes and resolutions still go, so learning goes on). */
  private standby(ifIndex: number): boolean {
    if (this.slots[ifIndex]?.standby !== true) return false;
    this.withheld++;
    return true;
  }

  /**
   * Reserves a slot on `ifIndex`; -1 when there is no ring (counted here, in `noRing`) or
   * the TX ring is full (counted by the ring itself: RingCounters.txRingFull).
   */
  private reserve(ifIndex: number): number {
    const slot = this.slots[ifIndex];
    if (slot === undefined || slot.tx === null) {
      this.noRing++;
      return -1;
    }
    return slot.tx.reserve();
  }

  private commit(ifIndex: number, len: number): void {
    const slot = this.slots[ifIndex]!;
    slot.tx!.commit(len);
    slot.dirty = true;
  }

  arpRequest(ifIndex: number, vlan: number, senderMac: Mac, senderIp: Ip4, targetIp: Ip4, dstMac: Mac): void {
    const off = this.reserve(ifIndex);
    if (off < 0) return;
    this.commit(ifIndex, buildArpRequest(this.slots[ifIndex]!.tx!.buf, off, vlan, dstMac, senderMac, senderIp, targetIp));
  }

  arpReply(ifIndex: number, vlan: number, dstMac: Mac, dstIp: Ip4, answerMac: Mac, answerIp: Ip4): void {
    if (this.standby(ifIndex)) return;
    const off = this.reserve(ifIndex);
    if (off < 0) return;
    const slot = this.slots[ifIndex]!;
    this.commit(ifIndex, buildArpReply(slot.tx!.buf, off, vlan, slot.mac, dstMac, dstIp, answerMac, answerIp));
    slot.stats.countReply(FAMILY_V4, ReplyAction.Redirect); // deferred answers are redirects
    slot.stats.delayedAnswered[FAMILY_V4]!++;
  }

  arpAnnounce(ifIndex: number, vlan: number, ip: Ip4, mac: Mac): void {
    if (this.standby(ifIndex)) return;
    const off = this.reserve(ifIndex);
    if (off < 0) return;
    this.commit(ifIndex, buildGratuitousArp(this.slots[ifIndex]!.tx!.buf, off, vlan, mac, ip));
  }

  neighborSolicitation(ifIndex: number, vlan: number, srcIp: Ip6, target: Ip6, dstMac: Mac | -1): void {
    const off = this.reserve(ifIndex);
    if (off < 0) return;
    const slot = this.slots[ifIndex]!;
    const len = dstMac === -1
      ? buildNsResolve(slot.tx!.buf, off, vlan, slot.mac, srcIp, target)
      : buildNeighborSolicitation(slot.tx!.buf, off, vlan, slot.mac, dstMac, srcIp, target, target, slot.mac);
    this.commit(ifIndex, len);
  }

  neighborAdvertisement(ifIndex: number, vlan: number, dstMac: Mac, dstIp: Ip6, target: Ip6, answerMac: Mac, flags: number): void {
    if (this.standby(ifIndex)) return;
    const off = this.reserve(ifIndex);
    if (off < 0) return;
    const slot = this.slots[ifIndex]!;
    const src = slot.naFromTarget ? target : slot.linkLocal;
    this.commit(ifIndex, buildNeighborAdvertisement(slot.tx!.buf, off, vlan, slot.mac, dstMac, src, dstIp, target, answerMac, flags));
    slot.stats.countReply(FAMILY_V6, ReplyAction.Redirect);
    slot.stats.delayedAnswered[FAMILY_V6]!++;
  }

  unsolicitedNa(ifIndex: number, vlan: number, target: Ip6, mac: Mac, flags: number): void {
    if (this.standby(ifIndex)) return;
    const off = this.reserve(ifIndex);
    if (off < 0) return;
    const slot = this.slots[ifIndex]!;
    const src = slot.naFromTarget ? target : slot.linkLocal;
    this.commit(ifIndex, buildUnsolicitedNa(slot.tx!.buf, off, vlan, slot.mac, src, target, mac, flags));
  }

  /** Sends frames committed outside a batch handler (after policy.tick, control commands). */
  flushAll(): number {
    let sent = 0;
    for (const slot of this.slots) {
      if (!slot.dirty) continue;
      slot.dirty = false;
      if (slot.tx) sent += slot.tx.flush();
    }
    return sent;
  }
}
