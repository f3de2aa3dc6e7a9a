// The state file kept across restarts: named sections (the learned cache today; probe
// caches can add theirs) behind a versioned header, checksummed, written atomically.
// A file that is damaged, truncated, foreign or of another version is refused with the
// reason and never half-read: the header, the checksum and every size are checked before
// any section is handed out.
//
// Layout (little-endian):
//   0  magic "NPXSTATE" (8)    8 version u32 (1)      12 header bytes u32 (64)
//   16 saved at, wall clock seconds f64              24 payload bytes u32
//   28 section count u32       32 SHA-256 of the payload (32)
//   64 payload: per section  name length u8, name (ASCII), body length u32, body
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, fstatSync } from 'node:fs';
import { dirname } from 'node:path';

export const STATE_MAGIC = 'NPXSTATE';
export const STATE_VERSION = 1;
const HEADER = 64;
/** Largest payload read or written: a 16 Mi-entry cache at 40 bytes an entry fits. */
export const MAX_STATE_BYTES = 1024 * 1024 * 1024;
export const MAX_SECTIONS = 64;

/** A file that cannot be trusted; `reason` is a short word for logs and metrics. */
export class StateFileError extends Error {
  constructor(readonly reason: 'truncated' | 'foreign' | 'version' | 'checksum' | 'malformed' | 'too_large', message: string) {
    super(message);
  }
}

export interface StateContents {
  /** Wall-clock seconds when the file was written. */
  savedAt: number;
  sections: Map<string, Uint8Array>;
}

/** Encodes sections into one file image. */
export function encodeState(sections: ReadonlyMap<string, Uint8Array>, savedAt: number): Buffer {
  if (sections.size > MAX_SECTIONS) throw new RangeError(`at most ${MAX_SECTIONS} sections`);
  const parts: Buffer[] = [];
  for (const [name, body] of sections) {
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(name)) throw new RangeError(`bad section name '${name}'`);
    const head = Buffer.alloc(1 + name.length + 4);
    head.writeUInt8(name.length, 0);
    head.write(name, 1, 'ascii');
    head.writeUInt32LE(body.byteLength, 1 + name.length);
    parts.push(head, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  }
  const payload = Buffer.concat(parts);
  if (payload.length > MAX_STATE_BYTES) throw new RangeError(`state larger than ${MAX_STATE_BYTES} bytes`);
  const h = Buffer.alloc(HEADER);
  h.write(STATE_MAGIC, 0, 'ascii');
  h.writeUInt32LE(STATE_VERSION, 8);
  h.writeUInt32LE(HEADER, 12);
  h.writeDoubleLE(savedAt, 16);
  h.writeUInt32LE(payload.length, 24);
  h.writeUInt32LE(sections.size, 28);
  createHash('sha256').update(payload).digest().copy(h, 32);
  return Buffer.concat([h, payload]);
}

/** Decodes a file image; throws StateFileError with the reason when it cannot be trusted. */
export function decodeState(buf: Uint8Array): StateContents {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 8 || b.toString('latin1', 0, 8) !== STATE_MAGIC) {
    if (b.length < 8 && Buffer.from(STATE_MAGIC).subarray(0, b.length).equals(b)) throw new StateFileError('truncated', `${b.length} bytes, shorter than the header`);
    throw new StateFileError('foreign', 'not a neighproxy state file (no NPXSTATE magic)');
  }
  if (b.length < HEADER) throw new StateFileError('truncated', `${b.length} bytes, shorter than the ${HEADER}-byte header`);
  const version = b.readUInt32LE(8);
  if (version !== STATE_VERSION) throw new StateFileError('version', `version ${version}, this neighproxy reads version ${STATE_VERSION}`);
  if (b.readUInt32LE(12) !== HEADER) throw new StateFileError('malformed', `header size ${b.readUInt32LE(12)}, expected ${HEADER}`);
  const savedAt = b.readDoubleLE(16);
  const len = b.readUInt32LE(24);
  const count = b.readUInt32LE(28);
  if (len > MAX_STATE_BYTES) throw new StateFileError('too_large', `payload of ${len} bytes, the most is ${MAX_STATE_BYTES}`);
  if (b.length < HEADER + len) throw new StateFileError('truncated', `${b.length} bytes, the header announces ${HEADER + len}`);
  if (b.length > HEADER + len) throw new StateFileError('malformed', `${b.length - HEADER - len} bytes after the payload`);
  const payload = b.subarray(HEADER, HEADER + len);
  if (!createHash('sha256').update(payload).digest().equals(b.subarray(32, 64))) throw new StateFileError('checksum', 'checksum mismatch (the file was damaged)');
  if (!Number.isFinite(savedAt) || savedAt <= 0) throw new StateFileError('malformed', `saved-at time ${savedAt}`);
  if (count > MAX_SECTIONS) throw new StateFileError('malformed', `${count} sections, the most is ${MAX_SECTIONS}`);
  const sections = new Map<string, Uint8Array>();
  let o = 0;
  for (let i = 0; i < count; i++) {
    if (o + 1 > len) throw new StateFileError('malformed', `section ${i} starts past the payload`);
    const n = payload.readUInt8(o);
    if (o + 1 + n + 4 > len) throw new StateFileError('malformed', `section ${i} header runs past the payload`);
    const name = payload.toString('latin1', o + 1, o + 1 + n);
    const size = payload.readUInt32LE(o + 1 + n);
    o += 1 + n + 4;
    if (o + size > len) throw new StateFileError('malformed', `section '${name}' runs past the payload`);
    if (sections.has(name)) throw new StateFileError('malformed', `section '${name}' twice`);
    sections.set(name, payload.subarray(o, o + size));
    o += size;
  }
  if (o !== len) throw new StateFileError('malformed', `${len - o} bytes after the last section`);
  return { savedAt, sections };
}

/**
 * Writes `data` to `path` so a reader sees the old file or the new one, never a part:
 * a temporary file beside it, fsync, rename over, fsync of the directory.
 */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    for (let o = 0; o < data.byteLength; ) o += writeSync(fd, data, o);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
  // The rename is durable once the directory is on disk too.
  let dfd = -1;
  try {
    dfd = openSync(dirname(path), 'r');
    fsyncSync(dfd);
  } catch {
    // Some file systems refuse fsync on a directory: the data itself is synced.
  } finally {
    if (dfd >= 0) closeSync(dfd);
  }
}

/** Reads a state file; null when there is none (ENOENT). Other errors throw (with .code). */
export function readStateFile(path: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_STATE_BYTES + HEADER) throw new StateFileError('too_large', `${size} bytes, the most is ${MAX_STATE_BYTES + HEADER}`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
