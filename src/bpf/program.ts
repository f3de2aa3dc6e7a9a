// Programs as data: building instructions, the kernel's acceptance rules, and the
// `tcpdump -ddd` text form (count line, then `code jt jf k` in decimal).
import type { BpfInsn, BpfProgram } from '../engine/types';
import * as o from '../engine/opcodes';

export function stmt(code: number, k: number): BpfInsn {
  return { code, jt: 0, jf: 0, k: k >>> 0 };
}

export function jump(code: number, k: number, jt: number, jf: number): BpfInsn {
  return { code, jt, jf, k: k >>> 0 };
}

/** A program the kernel would refuse, with the 1-based line of `-ddd` text when known. */
export class BpfProgramError extends Error {
  readonly code = 'E_BPF_INVALID';
  /** Instruction index (0-based) the problem is at, -1 for the program as a whole. */
  readonly insn: number;
  /** 1-based line in the `-ddd` text (the count line is line 1), 0 when not parsed from text. */
  readonly line: number;
  constructor(message: string, insn: number, line = 0) {
    super(message);
    this.name = 'BpfProgramError';
    this.insn = insn;
    this.line = line;
  }
}

/** Every opcode a socket filter may use (the kernel's chk_code_allowed list). */
const ALLOWED = new Set<number>([
  o.BPF_ALU | o.BPF_ADD | o.BPF_K, o.BPF_ALU | o.BPF_ADD | o.BPF_X,
  o.BPF_ALU | o.BPF_SUB | o.BPF_K, o.BPF_ALU | o.BPF_SUB | o.BPF_X,
  o.BPF_ALU | o.BPF_MUL | o.BPF_K, o.BPF_ALU | o.BPF_MUL | o.BPF_X,
  o.BPF_ALU | o.BPF_DIV | o.BPF_K, o.BPF_ALU | o.BPF_DIV | o.BPF_X,
  o.BPF_ALU | o.BPF_MOD | o.BPF_K, o.BPF_ALU | o.BPF_MOD | o.BPF_X,
  o.BPF_ALU | o.BPF_AND | o.BPF_K, o.BPF_ALU | o.BPF_AND | o.BPF_X,
  o.BPF_ALU | o.BPF_OR | o.BPF_K, o.BPF_ALU | o.BPF_OR | o.BPF_X,
  o.BPF_ALU | o.BPF_XOR | o.BPF_K, o.BPF_ALU | o.BPF_XOR | o.BPF_X,
  o.BPF_ALU | o.BPF_LSH | o.BPF_K, o.BPF_ALU | o.BPF_LSH | o.BPF_X,
  o.BPF_ALU | o.BPF_RSH | o.BPF_K, o.BPF_ALU | o.BPF_RSH | o.BPF_X,
  o.BPF_ALU | o.BPF_NEG,
  o.BPF_LD | o.BPF_W | o.BPF_ABS, o.BPF_LD | o.BPF_H | o.BPF_ABS, o.BPF_LD | o.BPF_B | o.BPF_ABS,
  o.BPF_LD | o.BPF_W | o.BPF_IND, o.BPF_LD | o.BPF_H | o.BPF_IND, o.BPF_LD | o.BPF_B | o.BPF_IND,
  o.BPF_LD | o.BPF_W | o.BPF_LEN, o.BPF_LD | o.BPF_IMM, o.BPF_LD | o.BPF_MEM,
  o.BPF_LDX | o.BPF_W | o.BPF_LEN, o.BPF_LDX | o.BPF_B | o.BPF_MSH, o.BPF_LDX | o.BPF_IMM, o.BPF_LDX | o.BPF_MEM,
  o.BPF_ST, o.BPF_STX,
  o.BPF_MISC | o.BPF_TAX, o.BPF_MISC | o.BPF_TXA,
  o.BPF_RET | o.BPF_K, o.BPF_RET | o.BPF_A,
  o.BPF_JMP | o.BPF_JA,
  o.BPF_JMP | o.BPF_JEQ | o.BPF_K, o.BPF_JMP | o.BPF_JEQ | o.BPF_X,
  o.BPF_JMP | o.BPF_JGE | o.BPF_K, o.BPF_JMP | o.BPF_JGE | o.BPF_X,
  o.BPF_JMP | o.BPF_JGT | o.BPF_K, o.BPF_JMP | o.BPF_JGT | o.BPF_X,
  o.BPF_JMP | o.BPF_JSET | o.BPF_K, o.BPF_JMP | o.BPF_JSET | o.BPF_X,
]);

export function isValidOpcode(code: number): boolean {
  return ALLOWED.has(code);
}

/**
 * Throws BpfProgramError where the kernel's bpf_check_classic() would refuse the program
 * with EINVAL: length 1..4096, known opcodes, constant division by zero, shifts of 32 or
 * more, scratch slots 0..15, jumps inside the program, a RET last, and no scratch slot
 * read on a path where it was not written first. `lines[i]` maps instruction i to a text
 * line for messages.
 */
export function validateProgram(prog: BpfProgram, lines?: readonly number[]): void {
  const n = prog.length;
  const at = (i: number): string => (lines ? `line ${lines[i]} (instruction ${i})` : `instruction ${i}`);
  const err = (i: number, msg: string): BpfProgramError => new BpfProgramError(`${at(i)}: ${msg}`, i, lines ? lines[i]! : 0);
  if (n < 1 || n > o.BPF_MAXINSNS) {
    throw new BpfProgramError(`a program has 1 to ${o.BPF_MAXINSNS} instructions, this one has ${n}`, -1);
  }
  for (let i = 0; i < n; i++) {
    const { code, jt, jf, k } = prog[i]!;
    if (!Number.isInteger(code) || code < 0 || code > 0xffff || !ALLOWED.has(code)) {
      throw err(i, `opcode ${code} (0x${Number(code).toString(16)}) is not a classic BPF instruction the kernel accepts`);
    }
    if (!Number.isInteger(jt) || !Number.isInteger(jf) || jt < 0 || jt > 255 || jf < 0 || jf > 255) {
      throw err(i, `jt ${jt} and jf ${jf} must be integers 0..255`);
    }
    if (!Number.isInteger(k) || k < -0x80000000 || k > 0xffffffff) throw err(i, `k ${k} is not a 32-bit value`);
    const ku = k >>> 0;
    switch (code) {
      case o.BPF_ALU | o.BPF_DIV | o.BPF_K:
      case o.BPF_ALU | o.BPF_MOD | o.BPF_K:
        if (ku === 0) throw err(i, 'division by the constant 0');
        break;
      case o.BPF_ALU | o.BPF_LSH | o.BPF_K:
      case o.BPF_ALU | o.BPF_RSH | o.BPF_K:
        if (ku >= 32) throw err(i, `shift by ${ku} (must be below 32)`);
        break;
      case o.BPF_LD | o.BPF_MEM:
      case o.BPF_LDX | o.BPF_MEM:
      case o.BPF_ST:
      case o.BPF_STX:
        if (ku >= o.BPF_MEMWORDS) throw err(i, `scratch slot M[${ku}] does not exist (M[0]..M[15])`);
        break;
      case o.BPF_JMP | o.BPF_JA:
        if (ku >= n - i - 1) throw err(i, `ja ${ku} jumps past the end of the program (${n} instructions)`);
        break;
      default:
        if (o.cls(code) === o.BPF_JMP && (i + jt + 1 >= n || i + jf + 1 >= n)) {
          throw err(i, `jump (jt ${jt}, jf ${jf}) goes past the end of the program (${n} instructions)`);
        }
    }
  }
  if (o.cls(prog[n - 1]!.code) !== o.BPF_RET) throw err(n - 1, 'the last instruction must be a ret');
  checkScratch(prog, err);
}

/** The kernel's check_load_and_stores(): M[k] is read only after a store on every path. */
function checkScratch(prog: BpfProgram, err: (i: number, msg: string) => BpfProgramError): void {
  const n = prog.length;
  // Bit set of slots surely written on every path into instruction i (forward jumps only).
  const known = new Int32Array(n).fill(-1);
  known[0] = 0;
  for (let i = 0; i < n; i++) {
    let mem = known[i]!;
    if (mem === -1) continue; // unreachable
    const { code, jt, jf, k } = prog[i]!;
    const ku = k >>> 0;
    if (code === (o.BPF_LD | o.BPF_MEM) || code === (o.BPF_LDX | o.BPF_MEM)) {
      if (!(mem & (1 << ku))) throw err(i, `reads M[${ku}] before any store to it`);
    } else if (code === o.BPF_ST || code === o.BPF_STX) {
      mem |= 1 << ku;
    }
    const merge = (t: number): void => {
      known[t] = known[t] === -1 ? mem : known[t]! & mem;
    };
    const c = o.cls(code);
    if (c === o.BPF_RET) continue;
    if (c === o.BPF_JMP) {
      if (code === (o.BPF_JMP | o.BPF_JA)) merge(i + 1 + ku);
      else {
        merge(i + 1 + jt);
        merge(i + 1 + jf);
      }
      continue;
    }
    merge(i + 1);
  }
}

/** `tcpdump -ddd` text: the instruction count, then one `code jt jf k` line each. */
export function formatDdd(prog: BpfProgram): string {
  return `${prog.length}\n${prog.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k >>> 0}`).join('\n')}\n`;
}

/**
 * Parses `tcpdump -ddd` text (also the comma form `4,40 0 0 12,...` that iptables' bpf
 * match and `nfbpf_compile` print) and validates it like the kernel. Blank lines and
 * `#` comments are ignored. Errors carry the line number.
 */
export function parseDdd(text: string): BpfInsn[] {
  const lines: Array<{ no: number; text: string }> = [];
  const raw = text.includes('\n') ? text.split(/\r?\n/) : text.split(',');
  raw.forEach((t, idx) => {
    const s = t.replace(/#.*$/, '').trim();
    if (s) lines.push({ no: idx + 1, text: s });
  });
  if (lines.length === 0) throw new BpfProgramError('empty program: expected a count line, then `code jt jf k` lines', -1);
  const head = lines[0]!;
  if (!/^\d+$/.test(head.text)) {
    throw new BpfProgramError(`line ${head.no}: expected the instruction count (as tcpdump -ddd prints it), found '${head.text}'`, -1, head.no);
  }
  const count = Number(head.text);
  const body = lines.slice(1);
  if (count !== body.length) {
    throw new BpfProgramError(`line ${head.no}: the count says ${count} instructions but ${body.length} follow`, -1, head.no);
  }
  const prog: BpfInsn[] = [];
  const lineOf: number[] = [];
  for (const { no, text: t } of body) {
    const f = t.split(/\s+/);
    if (f.length !== 4 || !f.every((x) => /^-?\d+$/.test(x))) {
      throw new BpfProgramError(`line ${no}: expected four decimal numbers 'code jt jf k', found '${t}'`, prog.length, no);
    }
    const [code, jt, jf, k] = f.map(Number) as [number, number, number, number];
    if (k < -0x80000000 || k > 0xffffffff) throw new BpfProgramError(`line ${no}: k ${k} is not a 32-bit value`, prog.length, no);
    prog.push({ code, jt, jf, k: k >>> 0 });
    lineOf.push(no);
  }
  validateProgram(prog, lineOf);
  return prog;
}
