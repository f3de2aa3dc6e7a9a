// The hand-written IPv6 text parser and RFC 5952 printer against ip-address's Address6
// (the library they replace on the configuration path: it took seconds for 100 000
// uplinks), on generated valid forms and on mutations of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Address6 } from 'ip-address';
import { formatIp6, parseIp4, parseIp6 } from '../../src/net/addr';

function reference(text: string): number[] | undefined {
  const t = text.trim();
  if (t.includes('/') || t.includes('%') || !Address6.isValid(t)) return undefined;
  const bytes = new Address6(t).toByteArray();
  const b = new Uint8Array(16);
  b.set(bytes, 16 - bytes.length);
  const v = new DataView(b.buffer);
  return [0, 1, 2, 3].map((w) => v.getUint32(4 * w));
}

// Zero-heavy groups, so runs of zeros (and ties between runs) are common.
const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const groups = fc.array(group, { minLength: 8, maxLength: 8 });

function textForms(g: number[], run: [number, number], upper: boolean, pad: boolean, v4: boolean): string[] {
  const h = (x: number): string => {
    const s = x.toString(16);
    return (pad ? s.padStart(4, '0') : s)[upper ? 'toUpperCase' : 'toLowerCase']();
  };
  const tailV4 = `${g[6]! >>> 8}.${g[6]! & 255}.${g[7]! >>> 8}.${g[7]! & 255}`;
  const full = v4 ? [...g.slice(0, 6).map(h), tailV4].join(':') : g.map(h).join(':');
  const [a, len] = run;
  const b = Math.min(8, a + len);
  const left = g.slice(0, a).map(h).join(':');
  const right = v4 && b <= 6 ? [...g.slice(b, 6).map(h), tailV4].join(':') : g.slice(b).map(h).join(':');
  return [full, `${left}::${right}`];
}

const MUTATION_CHARS = ':.0123456789abcdefgABCDEF/% ';

test('parseIp6 accepts exactly what Address6 accepts, with the same value', () => {
  fc.assert(
    fc.property(
      groups, fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 })), fc.boolean(), fc.boolean(), fc.boolean(),
      fc.array(fc.tuple(fc.nat(), fc.constantFrom(...MUTATION_CHARS), fc.boolean()), { maxLength: 3 }),
      (g, run, upper, pad, v4, edits) => {
        for (const form of textForms(g, run, upper, pad, v4)) {
          let text = form;
          for (const [at, ch, del] of edits) {
            const i = at % (text.length + 1);
            text = del ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + ch + text.slice(i);
          }
          for (const t of [form, text]) {
            const got = parseIp6(t);
            assert.deepEqual(got === undefined ? undefined : [...got], reference(t), JSON.stringify(t));
          }
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test('formatIp6 prints what Address6.correctForm prints (RFC 5952)', () => {
  fc.assert(
    fc.property(groups, (g) => {
      const ip = Uint32Array.from([0, 1, 2, 3].map((w) => ((g[2 * w]! << 16) | g[2 * w + 1]!) >>> 0));
      const bytes: number[] = [];
      for (const x of g) bytes.push(x >>> 8, x & 255);
      assert.equal(formatIp6(ip), Address6.fromByteArray(bytes).correctForm());
    }),
    { numRuns: 3000 },
  );
});

test('regression forms', () => {
  for (const t of ['::', '::1', '1::', '::ffff:192.0.2.1', '1:2:3:4:5:6:1.2.3.4', '::1.2.3.4', 'FE80::A']) assert.ok(parseIp6(t), t);
  for (const t of [':::', '1::2::3', ':1::', '1:2:3:4:5:6:7:8::', '00001::', '::ffff:1.2.3.04', '1.2.3.4', '']) {
    assert.equal(parseIp6(t), undefined, t);
  }
  assert.equal(formatIp6(parseIp6('1:0:0:1:0:0:0:1')!), '1:0:0:1::1');
  assert.equal(formatIp6(parseIp6('1:2:3:4:5:6:7::')!), '1:2:3:4:5:6:7:0');
});

test('parseIp4 accepts exactly the dotted quads without leading zeros', () => {
  const reference4 = (t: string): number | undefined => {
    const s = t.trim();
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return undefined;
    let v = 0;
    for (const part of s.split('.')) {
      if ((part.length > 1 && part[0] === '0') || Number(part) > 255) return undefined;
      v = v * 256 + Number(part);
    }
    return v >>> 0;
  };
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...'0123456789.. x-'), { maxLength: 18 }), (chars) => {
      const t = chars.join('');
      assert.equal(parseIp4(t), reference4(t), JSON.stringify(t));
    }),
    { numRuns: 20000 },
  );
  assert.equal(parseIp4('198.51.100.7'), 0xc6336407);
  assert.equal(parseIp4(' 0.0.0.0 '), 0);
  for (const t of ['1.2.3.04', '1.2.3.256', '1.2.3', '1.2.3.4.', '1.2.3.4.5', '1..2.3', '']) assert.equal(parseIp4(t), undefined, t);
});
