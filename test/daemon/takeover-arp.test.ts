// Takeover cases on a real segment (IPv4; takeover-nd.test.ts has the same for IPv6): a
// bridge in the daemon's namespace (the daemon captures on br0) with an owner whose kernel
// owns 198.51.100.10 (MAC A, a real client that answers our unicast probe), an attacker
// (MAC B) and a requester, each in its own namespace. Frames are sent from rings in those
// namespaces; the requester's answers are the daemon's (Ethernet source = br0's MAC).
//   .10  A announced, alive; B's gratuitous ARP and B's broadcast request naming .10:
//        requesters are still told A, conflicts counted in metrics.
//   .30  A announced, but A's kernel does not own .30 (A is silent): after B's GARP the
//        entry moves to B within 3 s (a real move).
//   .20  pinned (`pin`): A announced, silent; B's GARP never moves it.
// The scenario is fixtures/takeover.ts (one for both families).
import { test } from 'node:test';
import { needsNetns } from '../helpers/netns';
import { ownerTakeoverCase } from './fixtures/takeover';

test('takeover (ARP): a live owner keeps its address, a silent one moves within 3 s, a pin never moves', { skip: needsNetns(), timeout: 120_000 },
  (t) => ownerTakeoverCase(t, 4, 9471));
