// The library face of neighproxy, for programs that embed the engine instead of running
// the daemon (the VPN concentrator that adds a static entry per tunnel, a test bed).
// Each module is also importable on its own (dist/src/<module>).
export * as addr from './net/addr';
export * as wire from './wire';
export * as policy from './policy';
export * as config from './config';
export { Ring, type RingOptions } from './engine/ring';
export { generate, cancelGenerate } from './engine/generator';
export { ARP_AND_NS_FILTER, ARP_REPLY_AND_NA_FILTER, REJECT_ALL_FILTER, neighFilter } from './engine/filters';
export type { Batch, BatchHandler, TxWriter, RingCounters, BpfInsn, BpfProgram } from './engine/types';
export { compileFilter, plainFilter } from './bpf/compile';
export { runFilter } from './bpf/interp';
export { disassemble } from './bpf/disasm';
export { readCapture, writePcap } from './pcap/pcap';
