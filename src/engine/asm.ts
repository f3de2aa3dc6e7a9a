// A tiny assembler: instructions with symbolic jump targets, resolved to relative
// offsets. Conditional jumps reach at most 255 instructions ahead; the code generators
// keep their targets near (local `ret` islands, `ja` for long hops) and resolve()
// refuses anything else rather than emit a wrong program.
import type { BpfInsn } from './types';
import * as o from './opcodes';

export interface Label {
  pos: number;
  readonly name: string;
}

/** Where a conditional jump goes: a label, or `0` for the next instruction. */
export type Target = Label | 0;

interface Pending {
  code: number;
  k: number;
  jt: Target;
  jf: Target;
  /** `ja` target. */
  ja?: Label;
}

export interface BlockComment {
  /** Index of the first instruction of the block. */
  at: number;
  text: string;
}

export class Asm {
  private readonly insns: Pending[] = [];
  readonly comments: BlockComment[] = [];

  get length(): number {
    return this.insns.length;
  }

  label(name: string): Label {
    return { pos: -1, name };
  }

  place(l: Label): void {
    if (l.pos >= 0) throw new Error(`label ${l.name} placed twice`);
    l.pos = this.insns.length;
  }

  comment(text: string): void {
    this.comments.push({ at: this.insns.length, text });
  }

  stmt(code: number, k = 0): void {
    this.insns.push({ code, k: k >>> 0, jt: 0, jf: 0 });
  }

  jmp(code: number, k: number, jt: Target, jf: Target): void {
    this.insns.push({ code: o.BPF_JMP | code | o.BPF_K, k: k >>> 0, jt, jf });
  }

  ja(target: Label): void {
    this.insns.push({ code: o.BPF_JMP | o.BPF_JA, k: 0, jt: 0, jf: 0, ja: target });
  }

  ret(k: number): void {
    this.stmt(o.BPF_RET | o.BPF_K, k);
  }

  resolve(): BpfInsn[] {
    return this.insns.map((p, i) => {
      const rel = (t: Target, what: string): number => {
        if (t === 0) return 0;
        if (t.pos < 0) throw new Error(`label ${t.name} never placed`);
        const d = t.pos - i - 1;
        if (d < 0 || (what !== 'ja' && d > 255)) throw new Error(`${what} from ${i} to ${t.name} (${t.pos}) is out of reach`);
        return d;
      };
      if (p.ja) return { code: p.code, jt: 0, jf: 0, k: rel(p.ja, 'ja') };
      return { code: p.code, jt: rel(p.jt, 'jt'), jf: rel(p.jf, 'jf'), k: p.k };
    });
  }
}
