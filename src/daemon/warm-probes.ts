// The probe caches (alive and absent tables of `probe` rules) as their own section of the
// state file, beside the learned cache: a restart keeps "this host answered" and "nobody
// holds this address", so a probed host is answered at once and a scan is not re-probed.
// Same rules as the learned section (warm.ts): expiries against the wall clock, every field
// checked, bounded counts; the policy then refuses entries of interfaces no longer
// configured or no longer probed, and expired ones (ProbeQueue.importEntries).
import { formatIp4, formatIp6 } from '../net/addr';
import type { ProbeRecord } from '../policy/probe';
import { decodeEntrySection, encodeEntrySection, type Refuse } from './state-section';

export const PROBES_SECTION = 'probes';
/** Bytes per entry (see encodeProbes). */
const ENTRY = 40;
/** More than two tables of the largest size (16 Mi) means a foreign section. */
const MAX_ENTRIES = 2 * 16_777_216;
const TWO32 = 0x1_0000_0000;

/**
 * Probes section: u16 entry bytes (40), u16 interface-name count, the names (u8 length,
 * UTF-8), u32 entry count, then per entry: u16 name index, u8 table (0 alive, 1 absent),
 * u8 family (4 or 6), u8 has-MAC (0 or 1; alive only), 3 zero bytes, four address words
 * (16 bytes big-endian, IPv4 in the last), the MAC (6, zero without one), 2 zero bytes,
 * f64 expiry in wall-clock seconds.
 */
export function encodeProbes(records: readonly ProbeRecord[], wallNow: number): Uint8Array {
  return encodeEntrySection(ENTRY, records, (r) => r.iface, (b, o, r, nameIndex) => {
    b.writeUInt16LE(nameIndex, o);
    b.writeUInt8(r.table === 'alive' ? 0 : 1, o + 2);
    b.writeUInt8(r.family, o + 3);
    const hasMac = r.table === 'alive' && r.mac >= 0;
    b.writeUInt8(hasMac ? 1 : 0, o + 4);
    for (let w = 0; w < 4; w++) b.writeUInt32BE(r.words[w]! >>> 0, o + 8 + 4 * w);
    if (hasMac) {
      b.writeUInt16BE(Math.floor(r.mac / TWO32), o + 24);
      b.writeUInt32BE(r.mac % TWO32, o + 26);
    }
    b.writeDoubleLE(wallNow + r.remaining, o + 32);
  });
}

/** Decodes a probes section, lifetimes left at `wallNow`. Throws StateFileError('malformed') on any bad field. */
export function decodeProbes(body: Uint8Array, wallNow: number): ProbeRecord[] {
  return decodeEntrySection(body, 'probes', ENTRY, MAX_ENTRIES, (b, o, names, bad) => recordAt(b, o, names, wallNow, bad));
}

function recordAt(b: Buffer, o: number, names: readonly string[], wallNow: number, bad: Refuse): ProbeRecord {
  const ni = b.readUInt16LE(o);
  if (ni >= names.length) bad(`entry names interface #${ni} of ${names.length}`);
  const tbl = b[o + 2]!;
  if (tbl !== 0 && tbl !== 1) bad(`table ${tbl}`);
  const fam = b[o + 3]!;
  if (fam !== 4 && fam !== 6) bad(`address family ${fam}`);
  const hasMac = b[o + 4]!;
  if (hasMac > 1 || (tbl === 1 && hasMac)) bad(`MAC flag ${hasMac} in the ${tbl ? 'absent' : 'alive'} table`);
  if (b[o + 5] || b[o + 6] || b[o + 7] || b[o + 30] || b[o + 31]) bad('non-zero padding');
  const words = [0, 1, 2, 3].map((w) => b.readUInt32BE(o + 8 + 4 * w)) as [number, number, number, number];
  if (fam === 4 && (words[0] || words[1] || words[2])) bad('IPv4 entry with IPv6 address bytes');
  const mac = hasMac ? b.readUInt16BE(o + 24) * TWO32 + b.readUInt32BE(o + 26) : -1;
  if (!hasMac && (b.readUInt16BE(o + 24) || b.readUInt32BE(o + 26))) bad('MAC bytes without the MAC flag');
  const wallExp = b.readDoubleLE(o + 32);
  if (!Number.isFinite(wallExp)) bad(`expiry ${wallExp}`);
  const address = fam === 6 ? formatIp6(Uint32Array.from(words)) : formatIp4(words[3]);
  return { table: tbl === 0 ? 'alive' : 'absent', iface: names[ni]!, family: fam, address, words, mac, remaining: wallExp - wallNow, probing: 0 };
}
