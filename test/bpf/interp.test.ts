import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newAncillary, runFilter } from '../../src/bpf/interp';
import * as o from '../../src/engine/opcodes';
import { stmt, jump, isValidOpcode } from '../../src/bpf/program';
import type { BpfInsn } from '../../src/engine/types';

const RET_A = stmt(o.BPF_RET | o.BPF_A, 0);
const frame = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0x00, 0x01, 0x45, 0x12]);

test('loads: sizes, big-endian, out of bounds ends the program with 0', () => {
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, 12), RET_A], frame, frame.length), 0x0806);
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_W | o.BPF_ABS, 12), RET_A], frame, frame.length), 0x08060001);
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_B | o.BPF_ABS, 17), RET_A], frame, frame.length), 0x12);
  // Last byte in bounds, one past is not: the whole program returns 0, not A.
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_IMM, 7), stmt(o.BPF_LD | o.BPF_B | o.BPF_ABS, 18), RET_A], frame, frame.length), 0);
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_W | o.BPF_ABS, 15), RET_A], frame, frame.length), 0);
  // `len` shorter than the buffer bounds the frame.
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, 12), RET_A], frame, 13), 0);
  // Indirect: X + k; ldxb 4*([k]&0xf).
  assert.equal(runFilter([stmt(o.BPF_LDX | o.BPF_B | o.BPF_MSH, 16), stmt(o.BPF_LD | o.BPF_B | o.BPF_IND, -3), RET_A], frame, frame.length), 0x12);
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_W | o.BPF_LEN, 0), RET_A], frame, frame.length), 18);
  // At an offset inside a larger buffer.
  const big = new Uint8Array(40).fill(0xaa);
  big.set(frame, 10);
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, 12), RET_A], big, frame.length, undefined, 10), 0x0806);
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_B | o.BPF_ABS, 18), RET_A], big, frame.length, undefined, 10), 0);
});

test('ancillary loads, SKF_NET_OFF and SKF_LL_OFF areas', () => {
  const anc = newAncillary();
  anc.vlanPresent = 1;
  anc.vlanTci = 0x200a;
  anc.vlanTpid = 0x88a8;
  anc.protocol = 0x0806;
  // Any load size reads the full ancillary value.
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_B | o.BPF_ABS, o.SKF_AD_OFF + o.SKF_AD_VLAN_TAG), RET_A], frame, frame.length, anc), 0x200a);
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_W | o.BPF_ABS, o.SKF_AD_OFF + o.SKF_AD_VLAN_TAG_PRESENT), RET_A], frame, frame.length, anc), 1);
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, o.SKF_AD_OFF + o.SKF_AD_VLAN_TPID), RET_A], frame, frame.length, anc), 0x88a8);
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, o.SKF_AD_OFF + o.SKF_AD_PROTOCOL), RET_A], frame, frame.length, anc), 0x0806);
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_B | o.BPF_ABS, o.SKF_AD_OFF + o.SKF_AD_VLAN_TAG_PRESENT), RET_A], frame, frame.length), 0);
  // Unknown ancillary code: a failing load, so 0.
  assert.equal(runFilter([stmt(o.BPF_RET | o.BPF_K, 5)].slice(0, 0).concat([stmt(o.BPF_LD | o.BPF_IMM, 9), stmt(o.BPF_LD | o.BPF_W | o.BPF_ABS, o.SKF_AD_OFF + 200), RET_A]), frame, frame.length, anc), 0);
  // Network header at 14: [SKF_NET_OFF + 2] is frame[16..].
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, o.SKF_NET_OFF + 2), RET_A], frame, frame.length, anc), 0x4512);
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, o.SKF_LL_OFF + 12), RET_A], frame, frame.length, anc), 0x0806);
  assert.equal(runFilter([stmt(o.BPF_LD | o.BPF_H | o.BPF_ABS, o.SKF_LL_OFF - 1), RET_A], frame, frame.length, anc), 0);
});

test('ALU is unsigned 32-bit; division by X = 0 returns 0; jumps are relative', () => {
  const prog = (...ins: BpfInsn[]): number => runFilter([...ins, RET_A], frame, frame.length);
  assert.equal(prog(stmt(o.BPF_LD | o.BPF_IMM, 0xffffffff), stmt(o.BPF_ALU | o.BPF_ADD | o.BPF_K, 2)), 1);
  assert.equal(prog(stmt(o.BPF_LD | o.BPF_IMM, 1), stmt(o.BPF_ALU | o.BPF_SUB | o.BPF_K, 2)), 0xffffffff);
  assert.equal(prog(stmt(o.BPF_LD | o.BPF_IMM, 0x10000), stmt(o.BPF_ALU | o.BPF_MUL | o.BPF_K, 0x10001)), 0x10000);
  assert.equal(prog(stmt(o.BPF_LD | o.BPF_IMM, 7), stmt(o.BPF_ALU | o.BPF_DIV | o.BPF_K, 2)), 3);
  assert.equal(prog(stmt(o.BPF_LD | o.BPF_IMM, 7), stmt(o.BPF_ALU | o.BPF_MOD | o.BPF_K, 4)), 3);
  assert.equal(prog(stmt(o.BPF_LD | o.BPF_IMM, 7), stmt(o.BPF_ALU | o.BPF_DIV | o.BPF_X, 0)), 0);
  assert.equal(prog(stmt(o.BPF_LD | o.BPF_IMM, 7), stmt(o.BPF_ALU | o.BPF_MOD | o.BPF_X, 0)), 0);
  assert.equal(prog(stmt(o.BPF_LD | o.BPF_IMM, 1), stmt(o.BPF_ALU | o.BPF_NEG, 0)), 0xffffffff);
  assert.equal(prog(stmt(o.BPF_LD | o.BPF_IMM, 1), stmt(o.BPF_LDX | o.BPF_IMM, 33), stmt(o.BPF_ALU | o.BPF_LSH | o.BPF_X, 0)), 2);
  assert.equal(prog(stmt(o.BPF_LD | o.BPF_IMM, 0x80000000), stmt(o.BPF_ALU | o.BPF_RSH | o.BPF_K, 31)), 1);
  assert.equal(prog(stmt(o.BPF_LD | o.BPF_IMM, 5), stmt(o.BPF_ST, 3), stmt(o.BPF_LD | o.BPF_IMM, 0), stmt(o.BPF_LDX | o.BPF_MEM, 3), stmt(o.BPF_MISC | o.BPF_TXA, 0)), 5);
  // jgt unsigned: 0x80000000 > 1.
  const j = [stmt(o.BPF_LD | o.BPF_IMM, 0x80000000), jump(o.BPF_JMP | o.BPF_JGT | o.BPF_K, 1, 1, 0), stmt(o.BPF_RET | o.BPF_K, 10), stmt(o.BPF_RET | o.BPF_K, 20)];
  assert.equal(runFilter(j, frame, frame.length), 20);
  const js = [stmt(o.BPF_LD | o.BPF_IMM, 0x80000000), jump(o.BPF_JMP | o.BPF_JSET | o.BPF_K, 0x80000000, 0, 1), stmt(o.BPF_RET | o.BPF_K, 10), stmt(o.BPF_RET | o.BPF_K, 20)];
  assert.equal(runFilter(js, frame, frame.length), 10);
  assert.equal(runFilter([stmt(o.BPF_JMP | o.BPF_JA, 1), stmt(o.BPF_RET | o.BPF_K, 1), stmt(o.BPF_RET | o.BPF_K, 2)], frame, frame.length), 2);
});

const VALID_CODES = Array.from({ length: 0x100 }, (_, c) => c).filter(isValidOpcode);
const insnArb = fc.record({
  code: fc.oneof(fc.constantFrom(...VALID_CODES), fc.integer({ min: 0, max: 0xffff })),
  jt: fc.integer({ min: 0, max: 255 }),
  jf: fc.integer({ min: 0, max: 255 }),
  k: fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0xfffff000 + 44, 0xfffff000 + 48, 0xfff00000, 0xffe00000)),
});

test('property: never throws, never reads outside [off, off + len)', () => {
  fc.assert(
    fc.property(fc.array(insnArb, { minLength: 1, maxLength: 40 }), fc.uint8Array({ maxLength: 80 }), fc.nat(8), fc.nat(8), (prog, bytes, pre, post) => {
      const exact = runFilter(prog, bytes, bytes.length);
      // The same frame inside a larger buffer full of other bytes gives the same answer.
      const big = new Uint8Array(pre + bytes.length + post).fill(0x5a);
      big.set(bytes, pre);
      const inside = runFilter(prog, big, bytes.length, undefined, pre);
      // Programs reading random ancillary values are not comparable.
      const random = prog.some((i) => (i.code & 0x07) === 0 && (i.code & 0xe0) === 0x20 && (i.k >>> 0) === 0xfffff000 + 56);
      if (!random) assert.equal(inside, exact);
      assert.ok(Number.isInteger(exact) && exact >= 0 && exact <= 0xffffffff);
    }),
    { numRuns: 3000 },
  );
});
