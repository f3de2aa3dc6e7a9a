// `ha track ADDRESS`: is the address configured on any interface of this box? Read from the
// rtnetlink address table (src/netlink/kernel.ts), which follows RTM_NEWADDR/RTM_DELADDR, so
// keepalived adding the VIP at MASTER (or removing it at BACKUP/FAULT) flips the role at the
// event, with no polling. And the HA metrics: role, transitions, announcements.
import { Gauge, Counter, type Registry } from 'prom-client';
import { Family, type IpAddress } from '../net/addr';
import type { KernelAddrs } from '../netlink/kernel';
import type { HaController } from './ha';

/** The kernel's addresses by ifindex; null without a kernel source (tests with fake links). */
export type AddressSource = () => ReadonlyMap<number, KernelAddrs> | null;

export function haAddressPresent(addresses: AddressSource, a: IpAddress): boolean {
  const all = addresses();
  if (!all) return false;
  for (const list of all.values()) {
    if (a.family === Family.V4) {
      if (list.v4.includes(a.v4)) return true;
    } else {
      const v = a.v6;
      if (list.v6.some((x) => x[0] === v[0] && x[1] === v[1] && x[2] === v[2] && x[3] === v[3])) return true;
    }
  }
  return false;
}

/** Adds the HA series to the daemon's registry; read at scrape time from the controller. */
export function registerHaMetrics(registry: Registry, ha: HaController): void {
  new Gauge({
    name: 'neighproxy_ha_active', help: '1 while the interface is the active router of its HA pair (answers), 0 while standby.',
    labelNames: ['interface', 'source'], registers: [registry],
    collect(this: Gauge) { this.reset(); for (const s of ha.list()) this.set({ interface: s.name, source: s.source }, s.role === 'active' ? 1 : 0); },
  });
  new Counter({
    name: 'neighproxy_ha_transitions_total', help: 'Role changes, by the role entered.',
    labelNames: ['interface', 'to'], registers: [registry],
    collect(this: Counter) {
      this.reset();
      for (const s of ha.list()) {
        this.inc({ interface: s.name, to: 'active' }, s.transitions.toActive);
        this.inc({ interface: s.name, to: 'standby' }, s.transitions.toStandby);
      }
    },
  });
  new Counter({
    name: 'neighproxy_ha_announcements_total', help: 'Gratuitous ARP / unsolicited NA frames sent for takeovers and refreshes.',
    labelNames: ['interface'], registers: [registry],
    collect(this: Counter) { this.reset(); for (const s of ha.list()) this.inc({ interface: s.name }, s.announced); },
  });
}
