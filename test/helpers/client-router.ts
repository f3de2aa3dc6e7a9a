// A client namespace and the daemon's router namespace joined by one veth (cl0 <-> rt0 by
// default), as the daemon tests that cross a wire use it. Unlike a generator pair both
// kernels take part (ARP and ND stay on), so the client's kernel can resolve through the
// daemon (`kernelResolve`). Both ends have fixed documentation MACs (tests assert the
// router's) and the addresses the options give; `link()` builds the same veth again after
// a test deletes it (a link flap). The lab, temporary directory and `cleanup` list are a
// TempLab's (test/helpers/temp-lab.ts); `rings` are closed when the test ends.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ring } from '../../src/engine/ring';
import { tempLab, type TempLab } from './temp-lab';

export const ROUTER_MAC = '02:00:5e:00:53:01';
export const CLIENT_MAC = '02:00:5e:00:53:02';

export interface ClientRouter extends TempLab {
  /** The client's namespace (interface `clientIf`), and the daemon's (interface `routerIf`). */
  client: string;
  router: string;
  clientIf: string;
  routerIf: string;
  /** `/run/netns/...` of the client's namespace, for Ring.open. */
  clientNetns: string;
  /** `neighproxy.conf` in `dir`: the options' `config` is written there. */
  config: string;
  /** Rings the test opened (on either side), closed at the end after the test's own `cleanup` steps. */
  rings: Ring[];
  /** Builds the veth with its MACs and addresses, again: after `ip link del`, or under another router-side name. */
  link(routerIf?: string): void;
}

export interface ClientRouterOptions {
  /** Namespace names (suffixes) are cl and rt; interface names default to cl0 and rt0. */
  clientIf?: string;
  routerIf?: string;
  /** Addresses with their prefix length (`192.0.2.10/24`, `2001:db8:1::10/64`), on each end. */
  clientAddrs?: string[];
  routerAddrs?: string[];
  /** The daemon's configuration, written to `config` before the pair is returned. */
  config?: string;
}

/** Builds the pair and registers its teardown with `t.after` (node:test, or a bench's own list). */
export function clientRouter(t: { after(fn: () => void): void }, tag: string, opts: ClientRouterOptions = {}): ClientRouter {
  const { lab, dir, cleanup } = tempLab(t, tag);
  const rings: Ring[] = [];
  cleanup.push(() => { for (const r of rings) r.close(); }); // first in, so it runs last: after the test's own steps
  const clientIf = opts.clientIf ?? 'cl0';
  const client = lab.netns('cl');
  const router = lab.netns('rt');
  const addrs = (ns: string, dev: string, list: string[] = []): void => {
    for (const a of list) lab.exec(ns, 'ip', ['addr', 'add', a, 'dev', dev, ...(a.includes(':') ? ['nodad'] : [])]);
  };
  const config = join(dir, 'neighproxy.conf');
  if (opts.config !== undefined) writeFileSync(config, opts.config);
  const pair: ClientRouter = {
    lab, dir, cleanup, client, router, clientIf, routerIf: opts.routerIf ?? 'rt0', clientNetns: lab.nsPath(client), config, rings,
    link: (routerIf = pair.routerIf) => {
      lab.veth(client, clientIf, router, routerIf, { macA: CLIENT_MAC, macB: ROUTER_MAC });
      addrs(client, clientIf, opts.clientAddrs);
      addrs(router, routerIf, opts.routerAddrs);
    },
  };
  pair.link();
  return pair;
}
