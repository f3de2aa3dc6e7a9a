// The probe caches (alive and absent tables of `probe` rules) as their own section of the
// state file, beside the learned cache: a restart keeps "this host answered" and "nobody
// holds this address", so a probed host is answered at once and a scan is not re-probed.
// Same rules as the learned section (warm.ts): expiries against the wall clock, every field
// checked, bounded counts; the policy then refuses entries of interfaces no longer
// configured or no longer probed, and expired ones (ProbeQueue.importEntries).
import { explainIfName } from '../config/ifname';
import { formatIp4, formatIp6 } from '../net/addr';
import type { ProbeRecord } from '../policy/probe';
import { StateFileError } from './state-file';

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
  const names = [...new Set(records.map((r) => r.iface))];
  const nameBytes = names.map((n) => Buffer.from(n, 'utf8'));
  const head = 4 + nameBytes.reduce((s, b) => s + 1 + b.length, 0) + 4;
  const b = Buffer.alloc(head + ENTRY * records.length);
  b.writeUInt16LE(ENTRY, 0);
  b.writeUInt16LE(names.length, 2);
  let o = 4;
  for (const nb of nameBytes) {
    b.writeUInt8(nb.length, o);
    nb.copy(b, o + 1);
    o += 1 + nb.length;
  }
  b.writeUInt32LE(records.length, o);
  o += 4;
  const index = new Map(names.map((n, i) => [n, i]));
  for (const r of records) {
    b.writeUInt16LE(index.get(r.iface)!, o);
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
    o += ENTRY;
  }
  return b;
}

/** Decodes a probes section, lifetimes left at `wallNow`. Throws StateFileError('malformed') on any bad field. */
export function decodeProbes(body: Uint8Array, wallNow: number): ProbeRecord[] {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const bad = (why: string): never => { throw new StateFileError('malformed', `probes section: ${why}`); };
  if (b.length < 8) bad('shorter than its header');
  if (b.readUInt16LE(0) !== ENTRY) bad(`entries of ${b.readUInt16LE(0)} bytes, expected ${ENTRY}`);
  const nNames = b.readUInt16LE(2);
  const names: string[] = [];
  let o = 4;
  for (let i = 0; i < nNames; i++) {
    if (o + 1 > b.length || o + 1 + b[o]! > b.length) bad('interface names run past the section');
    const name = b.toString('utf8', o + 1, o + 1 + b[o]!);
    const why = name === '' ? 'empty' : explainIfName(name);
    if (why) bad(`interface name '${name}' is not ${why}`);
    names.push(name);
    o += 1 + b[o]!;
  }
  if (o + 4 > b.length) bad('no entry count');
  const count = b.readUInt32LE(o);
  o += 4;
  if (count > MAX_ENTRIES) bad(`${count} entries, the most is ${MAX_ENTRIES}`);
  if (b.length - o !== count * ENTRY) bad(`${b.length - o} bytes for ${count} entries of ${ENTRY}`);
  const out: ProbeRecord[] = [];
  for (let i = 0; i < count; i++, o += ENTRY) out.push(recordAt(b, o, names, wallNow, bad));
  return out;
}

function recordAt(b: Buffer, o: number, names: string[], wallNow: number, bad: (why: string) => never): ProbeRecord {
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
