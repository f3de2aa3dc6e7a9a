// The learned cache as plain entries, out and back in, for warm restarts (the daemon's
// state file). Both directions use only the cache's and the guard's public API, so the
// cache's layout stays the cache's business. Entries coming back pass the same checks as
// learning from the wire (TakeoverGuard.admit: no group, zero or own MAC, no static or
// pinned address), and their interface must still be configured.
import { Family, type IpAddress, type Mac } from '../net/addr';
import type { Config } from '../config/types';
import { metaIsV6, metaSlot, metaVlan, metaWord } from './addrtable';
import { EntryState, type NeighborCache } from './cache';
import type { TakeoverGuard } from './guard';
import type { PolicyEnvironment } from './types';

/** One learned entry, its expiry on the policy's clock (monotonic seconds). */
export interface LearnedEntry {
  interface: string;
  /** -1 untagged, else the VLAN id (as the cache keys it). */
  vlan: number;
  address: IpAddress;
  mac: Mac;
  expires: number;
}

/** What export and import read of a policy (Policy has all of it public). */
export interface WarmParts {
  readonly cache: NeighborCache;
  readonly guard: TakeoverGuard;
  cacheSlots(): ReadonlyMap<string, number>;
  slotName(slot: number): string | undefined;
}

/** Why an entry was not taken back (counts per reason in ImportResult); `guard`: group, zero or own MAC, static or router address. */
export type RefusedReason = 'expired' | 'interface' | 'vlan' | 'guard' | 'duplicate' | 'learning_off';

export interface ImportResult {
  imported: number;
  refused: Partial<Record<RefusedReason, number>>;
}

/** Live entries with a known MAC (Fresh or Probing, not past expiry), least recently used first. */
export function exportLearned(p: WarmParts, now: number): LearnedEntry[] {
  const c = p.cache;
  const out: LearnedEntry[] = [];
  c.forEach((id) => {
    const st = c.stateOf(id);
    if (st !== EntryState.Fresh && st !== EntryState.Probing) return;
    const mac = c.macOf(id);
    const expires = c.expiryOf(id);
    if (mac < 0 || expires <= now) return;
    const w0 = c.key(id, 0);
    const name = p.slotName(metaSlot(w0));
    if (name === undefined) return;
    const address: IpAddress = metaIsV6(w0)
      ? { family: Family.V6, v6: Uint32Array.from([c.key(id, 1), c.key(id, 2), c.key(id, 3), c.key(id, 4)]) }
      : { family: Family.V4, v4: c.key(id, 4) };
    out.push({ interface: name, vlan: metaVlan(w0), address, mac, expires });
  });
  return out.reverse();
}

/**
 * Takes entries back at `now`: each is learned as if heard at `expires - timeout`, so it
 * keeps its remaining lifetime (clamped to the configured timeout) and its refresh window.
 * Entries go in by expiry, oldest first: the cache's timer queues stay in deadline order.
 * Call before the first frame (at start): a live entry is never replaced.
 */
export function importLearned(p: WarmParts, config: Config, env: PolicyEnvironment, entries: readonly LearnedEntry[], now: number): ImportResult {
  const res: ImportResult = { imported: 0, refused: {} };
  const refuse = (r: RefusedReason) => { res.refused[r] = (res.refused[r] ?? 0) + 1; };
  const c = p.cache;
  const timeout = c.timeout;
  const slots = p.cacheSlots();
  const ifIndex = new Map(config.interfaces.map((ifc, i) => [ifc.name, i]));
  const sorted = [...entries].sort((a, b) => a.expires - b.expires);
  for (const e of sorted) {
    if (timeout <= 0) { refuse('learning_off'); continue; }
    if (!(e.expires > now)) { refuse('expired'); continue; }
    const i = ifIndex.get(e.interface);
    const slot = slots.get(e.interface);
    if (i === undefined || slot === undefined) { refuse('interface'); continue; }
    const ifc = config.interfaces[i]!;
    if (!Number.isInteger(e.vlan) || e.vlan < -1 || e.vlan > 4095 || (ifc.vlans !== null && !ifc.vlans.includes(e.vlan < 0 ? 0 : e.vlan))) {
      refuse('vlan');
      continue;
    }
    const ad = e.address;
    const v6 = ad.family === Family.V6;
    const meta = metaWord(v6, slot, e.vlan);
    const a0 = v6 ? ad.v6[0]! : 0, a1 = v6 ? ad.v6[1]! : 0, a2 = v6 ? ad.v6[2]! : 0, a3 = v6 ? ad.v6[3]! : ad.v4;
    if (c.find(meta, a0, a1, a2, a3) >= 0) { refuse('duplicate'); continue; }
    const hwMac = env.interfaceMac(i);
    const ourMac = ifc.mac ?? hwMac;
    if (!p.guard.admit(meta, a0, a1, a2, a3, e.mac, ourMac, hwMac, now)) { refuse('guard'); continue; }
    const expires = Math.min(e.expires, now + timeout);
    const id = c.learn(meta, a0, a1, a2, a3, e.mac, expires - timeout);
    if (id < 0) { refuse('learning_off'); continue; }
    if (p.guard.newEntry) p.guard.fresh(id);
    res.imported++;
  }
  return res;
}
