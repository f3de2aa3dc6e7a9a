// Classic BPF opcode fields (linux/filter.h, linux/bpf_common.h) and the Linux
// ancillary-load offsets (SKF_AD_*). Numbers only: the kernel ABI, not a design choice.

// Instruction classes.
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;

// Load sizes.
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;

// Load modes.
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;

// ALU and jump operations.
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

// Operand source.
export const BPF_K = 0x00;
export const BPF_X = 0x08;
/** RET source: the accumulator. */
export const BPF_A = 0x10;

export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** Kernel limit on program length (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** Scratch memory words M[0..15] (BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;

// Negative offsets of ABS loads select special areas (signed 32-bit k).
export const SKF_AD_OFF = -0x1000;
export const SKF_NET_OFF = -0x100000;
export const SKF_LL_OFF = -0x200000;

// Ancillary data, loaded with `ld [SKF_AD_OFF + X]` (any load size: the kernel ignores it).
export const SKF_AD_PROTOCOL = 0;
export const SKF_AD_PKTTYPE = 4;
export const SKF_AD_IFINDEX = 8;
export const SKF_AD_NLATTR = 12;
export const SKF_AD_NLATTR_NEST = 16;
export const SKF_AD_MARK = 20;
export const SKF_AD_QUEUE = 24;
export const SKF_AD_HATYPE = 28;
export const SKF_AD_RXHASH = 32;
export const SKF_AD_CPU = 36;
export const SKF_AD_ALU_XOR_X = 40;
export const SKF_AD_VLAN_TAG = 44;
export const SKF_AD_VLAN_TAG_PRESENT = 48;
export const SKF_AD_PAY_OFFSET = 52;
export const SKF_AD_RANDOM = 56;
export const SKF_AD_VLAN_TPID = 60;

/** Names libpcap's disassembler (bpf_image) prints for ancillary loads: `ldb [vlanp]`. */
export const ANCILLARY_NAMES: ReadonlyMap<number, string> = new Map([
  [SKF_AD_PROTOCOL, 'proto'],
  [SKF_AD_PKTTYPE, 'type'],
  [SKF_AD_IFINDEX, 'ifidx'],
  [SKF_AD_NLATTR, 'nla'],
  [SKF_AD_NLATTR_NEST, 'nlan'],
  [SKF_AD_MARK, 'mark'],
  [SKF_AD_QUEUE, 'queue'],
  [SKF_AD_HATYPE, 'hatype'],
  [SKF_AD_RXHASH, 'rxhash'],
  [SKF_AD_CPU, 'cpu'],
  [SKF_AD_VLAN_TAG, 'vlan_tci'],
  [SKF_AD_VLAN_TAG_PRESENT, 'vlanp'],
  [SKF_AD_PAY_OFFSET, 'poff'],
  [SKF_AD_RANDOM, 'random'],
  [SKF_AD_VLAN_TPID, 'vlan_tpid'],
]);

export const cls = (code: number): number => code & 0x07;
export const size = (code: number): number => code & 0x18;
export const mode = (code: number): number => code & 0xe0;
export const op = (code: number): number => code & 0xf0;
export const src = (code: number): number => code & 0x08;
