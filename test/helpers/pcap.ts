// Minimal pcap (libpcap classic format) reader for captures made with `tcpdump -w`.
// Ethernet link type only; both byte orders, microsecond and nanosecond magics.

export interface PcapRecord {
  /** Captured bytes of one frame (a copy). */
  bytes: Uint8Array;
  /** Original length on the wire. */
  wireLength: number;
}

export function readPcap(file: Uint8Array): PcapRecord[] {
  if (file.length < 24) throw new Error(`pcap: ${file.length} bytes is shorter than the 24-byte file header`);
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = dv.getUint32(0, true);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else throw new Error(`pcap: bad magic 0x${magic.toString(16)}`);
  const linkType = dv.getUint32(20, le);
  if (linkType !== 1) throw new Error(`pcap: link type ${linkType}, expected 1 (Ethernet)`);
  const out: PcapRecord[] = [];
  let p = 24;
  while (p + 16 <= file.length) {
    const incl = dv.getUint32(p + 8, le);
    const orig = dv.getUint32(p + 12, le);
    if (p + 16 + incl > file.length) break; // tcpdump killed mid-record
    out.push({ bytes: file.slice(p + 16, p + 16 + incl), wireLength: orig });
    p += 16 + incl;
  }
  return out;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/[\s:]/g, ''), 'hex'));
}
