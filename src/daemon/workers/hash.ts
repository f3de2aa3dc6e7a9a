// FNV-1a over a string's UTF-16 units: stable small numbers for interface names.
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The fanout group id of `ifname`: the same in every worker of one daemon, unlike another daemon's. */
export function fanoutGroup(base: number, ifname: string): number {
  return (base + fnv1a(ifname)) & 0xffff;
}
