import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfProgramError, parseDdd, validateProgram, formatDdd } from '../../src/bpf/program';

function err(fn: () => unknown): BpfProgramError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof BpfProgramError, String(e));
    assert.equal(e.code, 'E_BPF_INVALID');
    return e;
  }
  assert.fail('expected a BpfProgramError');
}

test('-ddd text round-trips, including the comma form and comments', () => {
  const text = '4\n40 0 0 12\n21 0 1 2054\n6 0 0 262144\n6 0 0 0\n';
  const prog = parseDdd(text);
  assert.deepEqual(prog[1], { code: 21, jt: 0, jf: 1, k: 2054 });
  assert.equal(formatDdd(prog), text);
  assert.deepEqual(parseDdd('4,40 0 0 12,21 0 1 2054,6 0 0 262144,6 0 0 0'), prog);
  assert.deepEqual(parseDdd('# arp\n4\n\n40 0 0 12   # ldh [12]\n21 0 1 2054\n6 0 0 262144\n6 0 0 0\n'), prog);
  // Negative k (ancillary offsets written signed) is accepted and stored unsigned.
  assert.equal(parseDdd('2\n48 0 0 -4048\n22 0 0 0\n')[0]!.k, 0xfffff030);
});

test('errors name the line and what is wrong, as the kernel would refuse it', () => {
  assert.match(err(() => parseDdd('')).message, /empty program/);
  assert.match(err(() => parseDdd('x\n6 0 0 0\n')).message, /line 1: expected the instruction count/);
  assert.match(err(() => parseDdd('2\n6 0 0 0\n')).message, /line 1: the count says 2 instructions but 1 follow/);
  const e = err(() => parseDdd('2\n40 0 0 12\n6 0 0\n'));
  assert.equal(e.line, 3);
  assert.match(e.message, /line 3: expected four decimal numbers/);
  assert.match(err(() => parseDdd('2\n40 0 0 12\n40 0 0 14\n')).message, /line 3 \(instruction 1\): the last instruction must be a ret/);
  assert.match(err(() => parseDdd('2\n21 0 1 2054\n6 0 0 0\n')).message, /line 2 \(instruction 0\): jump \(jt 0, jf 1\) goes past the end/);
  assert.match(err(() => parseDdd('2\n5 0 0 1\n6 0 0 0\n')).message, /ja 1 jumps past the end/);
  assert.match(err(() => parseDdd('2\n255 0 0 0\n6 0 0 0\n')).message, /opcode 255 \(0xff\) is not a classic BPF instruction/);
  assert.match(err(() => parseDdd('2\n52 0 0 0\n6 0 0 0\n')).message, /division by the constant 0/);
  assert.match(err(() => parseDdd('2\n100 0 0 32\n6 0 0 0\n')).message, /shift by 32/);
  assert.match(err(() => parseDdd('2\n2 0 0 16\n6 0 0 0\n')).message, /M\[16\] does not exist/);
  assert.match(err(() => parseDdd('2\n96 0 0 3\n22 0 0 0\n')).message, /line 2 \(instruction 0\): reads M\[3\] before any store/);
  // Stored on one path only: still refused.
  assert.match(err(() => parseDdd('5\n21 0 1 1\n2 0 0 0\n96 0 0 0\n22 0 0 0\n6 0 0 0\n')).message, /reads M\[0\] before any store/);
  assert.match(err(() => parseDdd('2\n40 0 0 12\n6 0 0 4294967296\n')).message, /not a 32-bit value/);
  assert.match(err(() => validateProgram([])).message, /1 to 4096 instructions, this one has 0/);
  assert.match(err(() => validateProgram(Array.from({ length: 4097 }, () => ({ code: 6, jt: 0, jf: 0, k: 0 })))).message, /this one has 4097/);
  validateProgram(Array.from({ length: 4096 }, () => ({ code: 6, jt: 0, jf: 0, k: 0 })));
});
