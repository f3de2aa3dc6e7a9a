// Wire formats: ARP and IPv6 Neighbor Discovery, parsed and built over ring memory.
export * from './view';
export * from './drop';
export * from './checksum';
export * from './parse';
export * from './build';
// The EtherTypes live in net/ethertypes (one table for every layer); the wire face keeps them.
// `export *`, not a named re-export: tsc's named form first writes each name as a data property
// then redefines it as a getter, which drops this object to dictionary mode, and every
// `wire.parseFrame` call then pays a slow lookup (bench/wire.ts: about 25% of NS throughput).
export * from '../net/ethertypes';
