// Wire formats: ARP and IPv6 Neighbor Discovery, parsed and built over ring memory.
export * from './view';
export * from './drop';
export * from './checksum';
export * from './parse';
export * from './build';
