// The addon boundary: the ABI version and every descriptor/counter index are checked
// when the addon loads (checkBinding), against fakes here, and against the real build.
// Needs the compiled addon, not root.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ABI_VERSION, EXPECTED_LAYOUT, binding, checkBinding, type NativeLayout } from '../../src/engine/binding';
import * as types from '../../src/engine/types';

const names = Object.keys(EXPECTED_LAYOUT) as (keyof NativeLayout)[];

function fake(abiVersion: unknown, layout: Record<string, unknown> = { ...EXPECTED_LAYOUT }): unknown {
  return { abiVersion, layout };
}

function hasCode(code: string, message: RegExp) {
  return (e: Error & { code?: string }) => {
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  };
}

describe('addon ABI and layout', () => {
  test('the built addon passes the check and exports every layout name with the value types.ts has', () => {
    const b = binding();
    assert.equal(b.abiVersion, ABI_VERSION);
    assert.deepEqual({ ...b.layout }, { ...EXPECTED_LAYOUT });
    for (const name of names) assert.equal(b.layout[name], (types as Record<string, unknown>)[name], name);
  });

  test('every DESC_*, STAT_* and VLAN_* export of types.ts is in the checked layout', () => {
    const exported = Object.keys(types).filter((k) => /^(DESC|STAT|VLAN)_/.test(k)).sort();
    assert.deepEqual(exported, [...names].sort());
  });

  test('the layout has no gaps: descriptor words and stats slots are 0..STRIDE-1 and 0..COUNT-1', () => {
    const desc = names.filter((n) => n.startsWith('DESC_') && n !== 'DESC_STRIDE').map((n) => EXPECTED_LAYOUT[n]);
    const stat = names.filter((n) => n.startsWith('STAT_') && n !== 'STAT_COUNT').map((n) => EXPECTED_LAYOUT[n]);
    assert.deepEqual([...desc].sort((a, b) => a - b), Array.from({ length: types.DESC_STRIDE }, (_, i) => i));
    assert.deepEqual([...stat].sort((a, b) => a - b), Array.from({ length: types.STAT_COUNT }, (_, i) => i));
  });

  test('a stale addon (another abiVersion) is refused with what to do', () => {
    assert.doesNotThrow(() => checkBinding(fake(ABI_VERSION)));
    assert.throws(
      () => checkBinding(fake(ABI_VERSION - 1)),
      hasCode('ERR_ADDON_ABI', new RegExp(`^neighproxy addon ABI mismatch: expected abiVersion ${ABI_VERSION}, found ${ABI_VERSION - 1}: rebuild it with \`npm rebuild neighproxy\``)),
    );
    assert.throws(() => checkBinding(fake(undefined)), hasCode('ERR_ADDON_ABI', /found undefined/));
    assert.throws(() => checkBinding(null), hasCode('ERR_ADDON_ABI', /found undefined/));
  });

  test('one index that disagrees is refused, naming it', () => {
    for (const name of names) {
      const layout = { ...EXPECTED_LAYOUT, [name]: EXPECTED_LAYOUT[name] + 1 };
      assert.throws(
        () => checkBinding(fake(ABI_VERSION, layout)),
        hasCode('ERR_ADDON_LAYOUT', new RegExp(`: ${name} is ${EXPECTED_LAYOUT[name] + 1} in the addon, ${EXPECTED_LAYOUT[name]} in src/engine/types.ts: rebuild`)),
        name,
      );
    }
  });

  test('a name missing on either side is refused', () => {
    const missing: Record<string, unknown> = { ...EXPECTED_LAYOUT };
    delete missing.DESC_VLAN_TPID;
    assert.throws(() => checkBinding(fake(ABI_VERSION, missing)), hasCode('ERR_ADDON_LAYOUT', /DESC_VLAN_TPID is undefined in the addon/));
    assert.throws(() => checkBinding(fake(ABI_VERSION, { ...EXPECTED_LAYOUT, STAT_NEW: 10 })), hasCode('ERR_ADDON_LAYOUT', /STAT_NEW \(10\) is unknown to src\/engine\/types.ts/));
    assert.throws(() => checkBinding({ abiVersion: ABI_VERSION }), hasCode('ERR_ADDON_LAYOUT', /DESC_OFFSET is undefined in the addon/));
  });
});
