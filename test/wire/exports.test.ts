// The wire module's face stays a fast-mode object: callers reach the hot path through it
// (`wire.parseFrame(...)` per frame), and a dictionary-mode exports object turns each call
// into a slow lookup. tsc's named re-export (`export { X } from`) writes X as a data
// property and then redefines it as a getter, which is what once dropped it to dictionary
// mode (bench/wire.ts NS throughput fell by about a quarter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import * as wire from '../../src/wire';
import * as ethertypes from '../../src/net/ethertypes';
import * as checksum from '../../src/wire/checksum';
import * as parse from '../../src/wire/parse';
import * as build from '../../src/wire/build';

setFlagsFromString('--allow-natives-syntax');
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;

test('the wire modules export fast-mode objects', () => {
  assert.equal(hasFastProperties({ a: 1 }), true);
  assert.equal(hasFastProperties(Object.create(null, { a: { value: 1, configurable: true } })), false, 'the probe tells dictionary mode');
  for (const [name, m] of Object.entries({ wire, ethertypes, checksum, parse, build })) {
    assert.equal(hasFastProperties(m), true, `${name} exports are in dictionary mode`);
  }
  assert.equal(wire.ETH_P_ARP, ethertypes.ETH_P_ARP);
});
