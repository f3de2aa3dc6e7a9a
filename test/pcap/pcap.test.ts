import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureError, readCapture, writePcap, writePcapng, type CapturedFrame } from '../../src/pcap/pcap';

const F1 = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 1, 2, 3]);
const F2 = Uint8Array.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd]);
const frames: CapturedFrame[] = [
  { data: F1, origLen: 60, tsSec: 1700000000, tsNsec: 123456000 },
  { data: F2, origLen: 14, tsSec: 1700000001, tsNsec: 999999000 },
];

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CaptureError, String(e));
    return `${e.code}: ${e.message}`;
  }
  return 'no error';
}

test('pcap byte table: little-endian microseconds', () => {
  const b = writePcap([frames[0]!]);
  const hex = Buffer.from(b).toString('hex');
  assert.equal(hex.slice(0, 48), 'd4c3b2a1020004000000000000000000000004000' + '1000000');
  assert.equal(hex.slice(48, 80), '00f15365' + '40e20100' + '11000000' + '3c000000');
  assert.equal(hex.slice(80), Buffer.from(F1).toString('hex'));
  const c = readCapture(b);
  assert.equal(c.format, 'pcap');
  assert.equal(c.linktype, 1);
  assert.deepEqual(c.frames.map((f) => [Buffer.from(f.data).toString('hex'), f.origLen, f.tsSec, f.tsNsec]), [[Buffer.from(F1).toString('hex'), 60, 1700000000, 123456000]]);
});

test('pcap big-endian and nanosecond; pcapng both byte orders, EPB and SPB', () => {
  for (const buf of [writePcap(frames, { bigEndian: true }), writePcap(frames, { nano: true }), writePcap(frames, { nano: true, bigEndian: true })]) {
    const c = readCapture(buf);
    assert.deepEqual(c.frames.map((f) => [f.data.length, f.origLen, f.tsSec, f.tsNsec]), [[17, 60, 1700000000, 123456000], [14, 14, 1700000001, 999999000]]);
  }
  assert.equal(Buffer.from(writePcap(frames, { nano: true, bigEndian: true })).toString('hex', 0, 4), 'a1b23c4d');
  for (const bigEndian of [false, true]) {
    const ng = writePcapng(frames, { bigEndian });
    assert.equal(Buffer.from(ng).toString('hex', 0, 4), '0a0d0d0a');
    const c = readCapture(ng);
    assert.equal(c.format, 'pcapng');
    assert.deepEqual(c.frames.map((f) => [Buffer.from(f.data).toString('hex'), f.origLen, f.tsSec, f.tsNsec]), frames.map((f) => [Buffer.from(f.data).toString('hex'), f.origLen, f.tsSec, f.tsNsec]));
    // A simple packet block has no captured length: it is min(original length, block), so keep them equal.
    const s = readCapture(writePcapng(frames.map((f) => ({ ...f, origLen: f.data.length })), { bigEndian, simple: true }));
    assert.deepEqual(s.frames.map((f) => Buffer.from(f.data).toString('hex')), [Buffer.from(F1).toString('hex'), Buffer.from(F2).toString('hex')]);
  }
});

test('pcapng: microsecond default resolution and a power-of-two if_tsresol', () => {
  // Hand-made little-endian section: SHB, IDB (linktype 1, if_tsresol 2^-10), EPB.
  const le = (n: number, w: number): number[] => Array.from({ length: w }, (_, i) => (n >>> (8 * i)) & 0xff);
  const shb = [...le(0x0a0d0d0a, 4), ...le(28, 4), ...le(0x1a2b3c4d, 4), 1, 0, 0, 0, ...le(0xffffffff, 4), ...le(0xffffffff, 4), ...le(28, 4)];
  const idb = [...le(1, 4), ...le(32, 4), 1, 0, 0, 0, ...le(0, 4), 9, 0, 1, 0, 0x8a, 0, 0, 0, 0, 0, 0, 0, ...le(32, 4)];
  const ts = 5 * 1024 + 512; // 5.5 s in 1/1024 units
  const epb = [...le(6, 4), ...le(48, 4), ...le(0, 4), ...le(0, 4), ...le(ts, 4), ...le(14, 4), ...le(14, 4), ...F2, 0, 0, ...le(48, 4)];
  const c = readCapture(Uint8Array.from([...shb, ...idb, ...epb]));
  assert.deepEqual(c.frames.map((f) => [f.tsSec, f.tsNsec, f.data.length]), [[5, 500000000, 14]]);
});

test('clear errors: other linktypes, unknown magic, truncation', () => {
  const sll = writePcap(frames);
  sll[20] = 113;
  assert.match(codeOf(() => readCapture(sll)), /^E_CAPTURE_LINKTYPE: pcap header: linktype 113 \(LINUX_SLL \(tcpdump -i any\)\) is not supported/);
  const ng = writePcapng(frames);
  ng[28 + 8] = 101; // IDB linktype
  assert.match(codeOf(() => readCapture(ng)), /^E_CAPTURE_LINKTYPE: pcapng interface 0: linktype 101/);
  assert.match(codeOf(() => readCapture(Uint8Array.from([1, 2, 3, 4, 5]))), /^E_CAPTURE_FORMAT: magic number 0x01020304/);
  assert.match(codeOf(() => readCapture(writePcap(frames).subarray(0, 50))), /^E_CAPTURE_TRUNCATED: record at offset 24 says 17 bytes, only 10 remain/);
  assert.match(codeOf(() => readCapture(writePcapng(frames).subarray(0, 70))), /^E_CAPTURE_TRUNCATED: pcapng block at offset 60/);
});

const noTcpdump = (() => {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'needs tcpdump';
  }
})();

test('tcpdump reads what we write, and we read its nanosecond pcap', { skip: noTcpdump }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nppcap-'));
  try {
    const ours = join(dir, 'ours.pcap');
    writeFileSync(ours, writePcap(frames));
    const text = execFileSync('tcpdump', ['-r', ours, '-nn', '-e', '--time-stamp-precision=micro', '-tt'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.match(text, /^1700000000\.123456 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP \(0x0806\), length 60/m);
    assert.equal(text.trim().split('\n').length, 2);
    const nano = join(dir, 'nano.pcap');
    execFileSync('tcpdump', ['-r', ours, '--time-stamp-precision=nano', '-w', nano], { stdio: 'ignore' });
    const c = readCapture(readFileSync(nano));
    assert.equal(Buffer.from(readFileSync(nano)).readUInt32LE(0), 0xa1b23c4d);
    assert.deepEqual(c.frames.map((f) => [f.tsSec, f.tsNsec, f.origLen]), [[1700000000, 123456000, 60], [1700000001, 999999000, 14]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
