// pcap and pcapng, read and written without libpcap: enough for `neighproxy replay`
// (Ethernet captures from tcpdump, Wireshark, dumpcap) and for writing replies.
//
// Reads: classic pcap in both byte orders, microsecond (0xa1b2c3d4) and nanosecond
// (0xa1b23c4d) timestamps; pcapng sections in either byte order with Section Header,
// Interface Description (if_tsresol honoured), Enhanced Packet and Simple Packet blocks
// (other blocks are skipped). Only Ethernet (linktype 1) is accepted.
// Writes: classic microsecond pcap (little-endian) and, for tests, pcapng.

export const LINKTYPE_ETHERNET = 1;

const LINKTYPE_NAMES: Record<number, string> = {
  0: 'NULL (BSD loopback)', 1: 'ETHERNET', 101: 'RAW (IP)', 105: 'IEEE802_11', 113: 'LINUX_SLL (tcpdump -i any)',
  127: 'IEEE802_11_RADIOTAP', 228: 'IPV4', 229: 'IPV6', 276: 'LINUX_SLL2 (tcpdump -i any)',
};

export class CaptureError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'CaptureError';
    this.code = code;
  }
}

export interface CapturedFrame {
  /** Frame bytes (a view into the file buffer). */
  data: Uint8Array;
  /** Length on the wire (may exceed data.length when the capture was truncated). */
  origLen: number;
  tsSec: number;
  tsNsec: number;
}

export interface Capture {
  format: 'pcap' | 'pcapng';
  linktype: number;
  frames: CapturedFrame[];
}

function linktypeError(lt: number, where: string): CaptureError {
  const name = LINKTYPE_NAMES[lt] ?? 'unknown';
  return new CaptureError('E_CAPTURE_LINKTYPE', `${where}: linktype ${lt} (${name}) is not supported; neighproxy replays Ethernet captures (linktype 1): capture on the interface itself, not 'any'`);
}

/** Reads a pcap or pcapng file's bytes. Throws CaptureError with a message naming the offset on malformed input. */
export function readCapture(buf: Uint8Array): Capture {
  if (buf.length < 4) throw new CaptureError('E_CAPTURE_FORMAT', `file of ${buf.length} bytes is neither pcap nor pcapng`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magicBE = dv.getUint32(0, false);
  if (magicBE === 0x0a0d0d0a) return readPcapng(buf, dv);
  const magicLE = dv.getUint32(0, true);
  for (const [le, m] of [[false, magicBE], [true, magicLE]] as const) {
    if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) return readPcap(buf, dv, le, m === 0xa1b23c4d);
  }
  throw new CaptureError('E_CAPTURE_FORMAT', `magic number 0x${magicBE.toString(16).padStart(8, '0')} is neither pcap (a1b2c3d4, a1b23c4d) nor pcapng (0a0d0d0a)`);
}

function readPcap(buf: Uint8Array, dv: DataView, le: boolean, nano: boolean): Capture {
  if (buf.length < 24) throw new CaptureError('E_CAPTURE_TRUNCATED', 'pcap file header truncated (24 bytes expected)');
  const linktype = dv.getUint32(20, le) & 0x0fffffff; // upper bits: FCS length flags
  if (linktype !== LINKTYPE_ETHERNET) throw linktypeError(linktype, 'pcap header');
  const frames: CapturedFrame[] = [];
  let off = 24;
  while (off < buf.length) {
    if (off + 16 > buf.length) throw new CaptureError('E_CAPTURE_TRUNCATED', `record header at offset ${off} truncated`);
    const tsSec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    const orig = dv.getUint32(off + 12, le);
    if (off + 16 + incl > buf.length) throw new CaptureError('E_CAPTURE_TRUNCATED', `record at offset ${off} says ${incl} bytes, only ${buf.length - off - 16} remain`);
    frames.push({ data: buf.subarray(off + 16, off + 16 + incl), origLen: orig, tsSec, tsNsec: nano ? frac : frac * 1000 });
    off += 16 + incl;
  }
  return { format: 'pcap', linktype, frames };
}

function readPcapng(buf: Uint8Array, dv: DataView): Capture {
  const frames: CapturedFrame[] = [];
  let le = true;
  let ifaces: Array<{ linktype: number; snaplen: number; tsUnitsPerSec: number }> = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 12 > buf.length) throw new CaptureError('E_CAPTURE_TRUNCATED', `pcapng block at offset ${off} truncated`);
    const typeBE = dv.getUint32(off, false);
    if (typeBE === 0x0a0d0d0a) {
      const bom = dv.getUint32(off + 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw new CaptureError('E_CAPTURE_FORMAT', `pcapng section at offset ${off}: byte-order magic 0x${bom.toString(16)} is not 1a2b3c4d`);
      ifaces = [];
    }
    const type = dv.getUint32(off, le);
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0 || off + len > buf.length) {
      throw new CaptureError('E_CAPTURE_TRUNCATED', `pcapng block at offset ${off} (type 0x${type.toString(16)}) has length ${len}, ${buf.length - off} bytes remain`);
    }
    const body = off + 8;
    const end = off + len - 4;
    if (type === 0x00000001) {
      // Interface Description Block
      const linktype = dv.getUint16(body, le);
      const snaplen = dv.getUint32(body + 4, le);
      let tsUnitsPerSec = 1e6;
      for (let p = body + 8; p + 4 <= end; ) {
        const code = dv.getUint16(p, le);
        const olen = dv.getUint16(p + 2, le);
        if (code === 0) break;
        if (code === 9 && olen >= 1) {
          const r = buf[p + 4]!;
          tsUnitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        }
        p += 4 + ((olen + 3) & ~3);
      }
      ifaces.push({ linktype, snaplen, tsUnitsPerSec });
    } else if (type === 0x00000006) {
      // Enhanced Packet Block
      const ifid = dv.getUint32(body, le);
      const iface = ifaces[ifid];
      if (!iface) throw new CaptureError('E_CAPTURE_FORMAT', `packet at offset ${off} names interface ${ifid}, not described before`);
      if (iface.linktype !== LINKTYPE_ETHERNET) throw linktypeError(iface.linktype, `pcapng interface ${ifid}`);
      const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
      const cap = dv.getUint32(body + 12, le);
      const orig = dv.getUint32(body + 16, le);
      if (body + 20 + cap > end) throw new CaptureError('E_CAPTURE_TRUNCATED', `packet at offset ${off} says ${cap} bytes, the block holds fewer`);
      const units = BigInt(iface.tsUnitsPerSec);
      const nsec = Number(((ts % units) * 1000000000n) / units);
      frames.push({ data: buf.subarray(body + 20, body + 20 + cap), origLen: orig, tsSec: Number(ts / units), tsNsec: nsec });
    } else if (type === 0x00000003) {
      // Simple Packet Block: interface 0, no timestamp
      const iface = ifaces[0];
      if (!iface) throw new CaptureError('E_CAPTURE_FORMAT', `simple packet at offset ${off} before any interface description`);
      if (iface.linktype !== LINKTYPE_ETHERNET) throw linktypeError(iface.linktype, 'pcapng interface 0');
      const orig = dv.getUint32(body, le);
      let cap = Math.min(orig, end - (body + 4));
      if (iface.snaplen > 0) cap = Math.min(cap, iface.snaplen);
      frames.push({ data: buf.subarray(body + 4, body + 4 + cap), origLen: orig, tsSec: 0, tsNsec: 0 });
    }
    off += len;
  }
  const linktype = ifaces[0]?.linktype ?? LINKTYPE_ETHERNET;
  return { format: 'pcapng', linktype, frames };
}

/** A classic pcap file (little-endian, microseconds, linktype Ethernet, snaplen 262144). */
export function writePcap(frames: readonly CapturedFrame[], opts: { nano?: boolean; bigEndian?: boolean } = {}): Buffer {
  const le = !opts.bigEndian;
  const total = 24 + frames.reduce((s, f) => s + 16 + f.data.length, 0);
  const out = Buffer.alloc(total);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(0, opts.nano ? 0xa1b23c4d : 0xa1b2c3d4, le);
  dv.setUint16(4, 2, le);
  dv.setUint16(6, 4, le);
  dv.setUint32(16, 262144, le);
  dv.setUint32(20, LINKTYPE_ETHERNET, le);
  let off = 24;
  for (const f of frames) {
    dv.setUint32(off, f.tsSec, le);
    dv.setUint32(off + 4, opts.nano ? f.tsNsec : Math.floor(f.tsNsec / 1000), le);
    dv.setUint32(off + 8, f.data.length, le);
    dv.setUint32(off + 12, f.origLen, le);
    out.set(f.data, off + 16);
    off += 16 + f.data.length;
  }
  return out;
}

/** A pcapng file: one section, one Ethernet interface (nanosecond resolution), EPBs, or SPBs when `simple`. */
export function writePcapng(frames: readonly CapturedFrame[], opts: { bigEndian?: boolean; simple?: boolean } = {}): Buffer {
  const le = !opts.bigEndian;
  const blocks: Buffer[] = [];
  const block = (type: number, body: Buffer): void => {
    const len = 12 + ((body.length + 3) & ~3);
    const b = Buffer.alloc(len);
    const dv = new DataView(b.buffer, b.byteOffset, len);
    dv.setUint32(0, type, le);
    dv.setUint32(4, len, le);
    body.copy(b, 8);
    dv.setUint32(len - 4, len, le);
    blocks.push(b);
  };
  const shb = Buffer.alloc(16);
  const sdv = new DataView(shb.buffer, shb.byteOffset, 16);
  sdv.setUint32(0, 0x1a2b3c4d, le);
  sdv.setUint16(4, 1, le);
  sdv.setInt32(8, -1, le);
  sdv.setInt32(12, -1, le);
  block(0x0a0d0d0a, shb);
  const idb = Buffer.alloc(8 + 8 + 4);
  const idv = new DataView(idb.buffer, idb.byteOffset, idb.length);
  idv.setUint16(0, LINKTYPE_ETHERNET, le);
  idv.setUint32(4, 0, le);
  idv.setUint16(8, 9, le); // if_tsresol
  idv.setUint16(10, 1, le);
  idb[12] = 9; // 10^-9
  block(0x00000001, idb); // end-of-options left as zeros
  for (const f of frames) {
    if (opts.simple) {
      const b = Buffer.alloc(4 + f.data.length);
      new DataView(b.buffer, b.byteOffset, 4).setUint32(0, f.origLen, le);
      b.set(f.data, 4);
      block(0x00000003, b);
      continue;
    }
    const b = Buffer.alloc(20 + f.data.length);
    const dv = new DataView(b.buffer, b.byteOffset, 20);
    const ts = BigInt(f.tsSec) * 1000000000n + BigInt(f.tsNsec);
    dv.setUint32(0, 0, le);
    dv.setUint32(4, Number(ts >> 32n), le);
    dv.setUint32(8, Number(ts & 0xffffffffn), le);
    dv.setUint32(12, f.data.length, le);
    dv.setUint32(16, f.origLen, le);
    b.set(f.data, 20);
    block(0x00000006, b);
  }
  return Buffer.concat(blocks);
}
