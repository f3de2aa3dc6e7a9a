// Every input that ever failed, as a named case (fixtures/): wire frames through the fuzz
// rig (real parser, Policy, builders) and configurations with check's exact message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../src/config';
import { VLAN_NONE } from '../../src/engine/types';
import { DROP_REASON_NAMES, FrameKind, FrameView, parseFrame } from '../../src/wire';
import { CONFIG_CASES } from './fixtures/config-cases';
import { WIRE_CASES } from './fixtures/wire-cases';
import { runFrames } from './wire-fuzz';

for (const [name, c] of Object.entries(WIRE_CASES)) {
  test(`wire regression ${name}: ${c.why}`, () => {
    const v = new FrameView();
    const b = Buffer.from(c.frames[0]!, 'hex');
    const kind = parseFrame(b, 0, b.length, VLAN_NONE, v);
    assert.equal(kind === FrameKind.None ? DROP_REASON_NAMES[v.drop] : kind, c.first, 'what the parser says of the first frame');
    const sent = runFrames(c.frames);
    assert.deepEqual(sent.map((s) => s.length), c.sent, `frames sent after each input: ${JSON.stringify(sent)}`);
  });
}

for (const [name, c] of Object.entries(CONFIG_CASES)) {
  test(`config regression ${name}: ${c.why}`, () => {
    assert.throws(() => parseConfig(c.text, 'r.conf'), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, c.code);
      assert.deepEqual(e.errors.map((x) => x.message), [c.message]);
      return true;
    });
  });
}
