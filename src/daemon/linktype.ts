// Links without a link layer (tun, WireGuard, PPP, IP tunnels) in the configuration: an
// `interface` block naming one is refused with the link type, by `check` when the link
// exists and at ring open otherwise (it may appear later). The link type comes from
// rtnetlink (KernelLink.type, ifi_type) when the daemon has it, else from sysfs.
import { readFileSync } from 'node:fs';
import { ActionKind, type Config } from '../config/types';
import { captureRefusal, hasNoLinkLayer } from '../net/linktype';
import type { KernelLink } from '../netlink/kernel';

/** The ARPHRD_* type of `name` from /sys/class/net/NAME/type; null when there is no such link. */
export function sysfsLinkType(name: string): number | null {
  if (name.includes('/') || name === '.' || name === '..') return null;
  try {
    const n = Number.parseInt(readFileSync(`/sys/class/net/${name}/type`, 'utf8').trim(), 10);
    return Number.isInteger(n) ? n : null;
  } catch {
    return null;
  }
}

/**
 * Is `name` a link without link layer (no ARP, no neighbour discovery: tun, WireGuard,
 * PPP, IP tunnels)? From the kernel state when it knows the link, else sysfs; undefined
 * when the link does not exist. For `probe` on such a link: fall back to route presence.
 */
export function isLinkWithoutLinkLayer(name: string, kernel?: { link(name: string): KernelLink | undefined }): boolean | undefined {
  const type = kernel?.link(name)?.type ?? sysfsLinkType(name);
  return type === null ? undefined : hasNoLinkLayer(type);
}

export interface LinkTypeError {
  interface: string;
  line: number;
  column: number;
  /** FILE:LINE:COLUMN: ... as configuration errors are printed. */
  message: string;
}

/** `interface` blocks naming an existing link without link layer (for `check`). */
export function linkTypeErrors(config: Config, typeOf: (name: string) => number | null = sysfsLinkType): LinkTypeError[] {
  const out: LinkTypeError[] = [];
  for (const c of config.interfaces) {
    const type = typeOf(c.name);
    const why = type === null ? undefined : captureRefusal(c.name, type);
    if (why) out.push({ interface: c.name, line: c.pos.line, column: c.pos.column, message: `${config.file}:${c.pos.line}:${c.pos.column}: ${why}` });
    for (const rule of c.rules) {
      if (rule.action.kind !== ActionKind.Probe || rule.action.probe.viaRoute !== true) continue;
      // A probe interface without a block must be a link without link layer (or not exist yet).
      const name = rule.action.probe.iface;
      const t = typeOf(name);
      if (t === null || hasNoLinkLayer(t)) continue;
      const { line, column } = rule.pos;
      out.push({
        interface: name, line, column,
        message: `${config.file}:${line}:${column}: found 'probe ${name}', expected an interface with its own 'interface ${name}' block: ${name} has a link layer (type ${t}), so probes go out on its ring`,
      });
    }
  }
  return out;
}

/**
 * Wraps a ring opener: a link without link layer is refused before any socket is made,
 * with code E_LINK_TYPE and the link type in the message (the daemon logs it at open).
 */
export function refuseLinksWithoutLinkLayer<O, R>(open: (ifname: string, opts: O) => R, typeOf: (name: string) => number | null | undefined): (ifname: string, opts: O) => R {
  return (ifname, opts) => {
    const type = typeOf(ifname);
    const why = type === null || type === undefined ? undefined : captureRefusal(ifname, type);
    if (why) throw Object.assign(new Error(why), { code: 'E_LINK_TYPE' });
    return open(ifname, opts);
  };
}
