// The frame the state file's entry sections share (warm.ts: learned, warm-probes.ts: probes):
// u16 entry bytes, u16 interface-name count, the names (u8 length, UTF-8), u32 entry count,
// then fixed-size entries that name their interface by its index in that table. Decoding
// checks every length and name; an entry's own fields are the section's to check.
import { explainIfName } from '../config/ifname';
import { StateFileError } from './state-file';

/** Throws StateFileError('malformed') with the section's name and the reason. */
export type Refuse = (why: string) => never;

/** Lays out `items` in a section whose entries are `entrySize` bytes; `write` fills one entry at `o`. */
export function encodeEntrySection<T>(
  entrySize: number,
  items: readonly T[],
  ifaceOf: (item: T) => string,
  write: (b: Buffer, o: number, item: T, nameIndex: number) => void,
): Buffer {
  const names = [...new Set(items.map(ifaceOf))];
  const nameBytes = names.map((n) => Buffer.from(n, 'utf8'));
  const head = 4 + nameBytes.reduce((s, nb) => s + 1 + nb.length, 0) + 4;
  const b = Buffer.alloc(head + entrySize * items.length);
  b.writeUInt16LE(entrySize, 0);
  b.writeUInt16LE(names.length, 2);
  let o = 4;
  for (const nb of nameBytes) {
    b.writeUInt8(nb.length, o);
    nb.copy(b, o + 1);
    o += 1 + nb.length;
  }
  b.writeUInt32LE(items.length, o);
  o += 4;
  const index = new Map(names.map((n, i) => [n, i]));
  for (const item of items) {
    write(b, o, item, index.get(ifaceOf(item))!);
    o += entrySize;
  }
  return b;
}

/** Reads a section written by encodeEntrySection; `read` decodes (and checks) one entry at `o`. */
export function decodeEntrySection<T>(
  body: Uint8Array,
  section: string,
  entrySize: number,
  maxEntries: number,
  read: (b: Buffer, o: number, names: readonly string[], bad: Refuse) => T,
): T[] {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const bad: Refuse = (why) => { throw new StateFileError('malformed', `${section} section: ${why}`); };
  if (b.length < 8) bad('shorter than its header');
  if (b.readUInt16LE(0) !== entrySize) bad(`entries of ${b.readUInt16LE(0)} bytes, expected ${entrySize}`);
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
  if (count > maxEntries) bad(`${count} entries, the most is ${maxEntries}`);
  if (b.length - o !== count * entrySize) bad(`${b.length - o} bytes for ${count} entries of ${entrySize}`);
  const out: T[] = [];
  for (let i = 0; i < count; i++, o += entrySize) out.push(read(b, o, names, bad));
  return out;
}
