// `tcpdump -d` style listing, matching libpcap's bpf_image() to the character for every
// opcode (`(000) ldh      [12]`, `(001) jeq      #0x806           jt 2\tjf 3`), with
// optional `; ...` comment lines before the blocks they explain.
import type { BpfInsn, BpfProgram } from '../engine/types';
import type { BlockComment } from '../engine/asm';
import * as o from '../engine/opcodes';

const hex = (k: number): string => `#0x${(k >>> 0).toString(16)}`;
const dec = (k: number): string => `#${k >>> 0}`;

function absOperand(k: number): string {
  const s = k | 0;
  if (s >= o.SKF_AD_OFF && s < 0) {
    const name = o.ANCILLARY_NAMES.get(s - o.SKF_AD_OFF);
    if (name) return `[${name}]`;
  }
  return `[${s}]`;
}

/** Mnemonic and operand text of one instruction (jump targets not included). */
export function insnImage(ins: BpfInsn, pc: number): { op: string; operand: string } {
  const { code, k } = ins;
  switch (code) {
    case o.BPF_RET | o.BPF_K: return { op: 'ret', operand: dec(k) };
    case o.BPF_RET | o.BPF_A: return { op: 'ret', operand: '' };
    case o.BPF_LD | o.BPF_W | o.BPF_ABS: return { op: 'ld', operand: absOperand(k) };
    case o.BPF_LD | o.BPF_H | o.BPF_ABS: return { op: 'ldh', operand: absOperand(k) };
    case o.BPF_LD | o.BPF_B | o.BPF_ABS: return { op: 'ldb', operand: absOperand(k) };
    case o.BPF_LD | o.BPF_W | o.BPF_LEN: return { op: 'ld', operand: '#pktlen' };
    case o.BPF_LD | o.BPF_W | o.BPF_IND: return { op: 'ld', operand: `[x + ${k | 0}]` };
    case o.BPF_LD | o.BPF_H | o.BPF_IND: return { op: 'ldh', operand: `[x + ${k | 0}]` };
    case o.BPF_LD | o.BPF_B | o.BPF_IND: return { op: 'ldb', operand: `[x + ${k | 0}]` };
    case o.BPF_LD | o.BPF_IMM: return { op: 'ld', operand: hex(k) };
    case o.BPF_LDX | o.BPF_IMM: return { op: 'ldx', operand: hex(k) };
    case o.BPF_LDX | o.BPF_W | o.BPF_LEN: return { op: 'ldx', operand: '#pktlen' };
    case o.BPF_LDX | o.BPF_B | o.BPF_MSH: return { op: 'ldxb', operand: `4*([${k | 0}]&0xf)` };
    case o.BPF_LD | o.BPF_MEM: return { op: 'ld', operand: `M[${k}]` };
    case o.BPF_LDX | o.BPF_MEM: return { op: 'ldx', operand: `M[${k}]` };
    case o.BPF_ST: return { op: 'st', operand: `M[${k}]` };
    case o.BPF_STX: return { op: 'stx', operand: `M[${k}]` };
    case o.BPF_JMP | o.BPF_JA: return { op: 'ja', operand: `${pc + 1 + (k >>> 0)}` };
    case o.BPF_ALU | o.BPF_NEG: return { op: 'neg', operand: '' };
    case o.BPF_MISC | o.BPF_TAX: return { op: 'tax', operand: '' };
    case o.BPF_MISC | o.BPF_TXA: return { op: 'txa', operand: '' };
    default: return jumpOrAlu(code, k) ?? { op: 'unimp', operand: `0x${code.toString(16)}` };
  }
}

/** Conditional jumps and ALU operations by operation field; K operands as libpcap prints them. */
const JUMPS = new Map([[o.BPF_JGT, 'jgt'], [o.BPF_JGE, 'jge'], [o.BPF_JEQ, 'jeq'], [o.BPF_JSET, 'jset']]);
const ALU_OPS = new Map([
  [o.BPF_ADD, 'add'], [o.BPF_SUB, 'sub'], [o.BPF_MUL, 'mul'], [o.BPF_DIV, 'div'], [o.BPF_MOD, 'mod'],
  [o.BPF_AND, 'and'], [o.BPF_OR, 'or'], [o.BPF_XOR, 'xor'], [o.BPF_LSH, 'lsh'], [o.BPF_RSH, 'rsh'],
]);
/** Operations whose constant libpcap prints in hex (the bitwise ones); the rest in decimal. */
const HEX_ALU = new Set([o.BPF_AND, o.BPF_OR, o.BPF_XOR]);

function jumpOrAlu(code: number, k: number): { op: string; operand: string } | null {
  if ((code & ~0xf8) !== o.BPF_JMP && (code & ~0xf8) !== o.BPF_ALU) return null; // other bits set: not a defined opcode
  const x = o.src(code) === o.BPF_X;
  const name = (o.cls(code) === o.BPF_JMP ? JUMPS : ALU_OPS).get(o.op(code));
  if (name === undefined) return null;
  if (x) return { op: name, operand: 'x' };
  return { op: name, operand: o.cls(code) === o.BPF_JMP || HEX_ALU.has(o.op(code)) ? hex(k) : dec(k) };
}

/** One line as `tcpdump -d` prints instruction `pc`. */
export function disassembleInsn(ins: BpfInsn, pc: number): string {
  const { op, operand } = insnImage(ins, pc);
  const n = String(pc).padStart(3, '0');
  if (o.cls(ins.code) === o.BPF_JMP && ins.code !== (o.BPF_JMP | o.BPF_JA)) {
    return `(${n}) ${op.padEnd(8)} ${operand.padEnd(16)} jt ${pc + 1 + ins.jt}\tjf ${pc + 1 + ins.jf}`;
  }
  return `(${n}) ${op.padEnd(8)} ${operand}`;
}

/** The whole program, `tcpdump -d` style; block comments become `; text` lines before their block. */
export function disassemble(prog: BpfProgram, comments: readonly BlockComment[] = []): string {
  const out: string[] = [];
  let c = 0;
  const sorted = comments.slice().sort((x, y) => x.at - y.at);
  prog.forEach((ins, pc) => {
    while (c < sorted.length && sorted[c]!.at <= pc) out.push(`; ${sorted[c++]!.text}`);
    out.push(disassembleInsn(ins, pc));
  });
  return `${out.join('\n')}\n`;
}
