// drop_privileges (native/caps.cc) in child processes, inside a namespace: uid, gid and
// groups change on every thread; CAP_NET_RAW and CAP_NET_ADMIN stay on the main thread
// only, so a capture ring still opens after the drop. Every error path carries .code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Lab, needsNetns } from '../helpers/netns';
import { nobodySkipReason, readableRoot } from '../helpers/unprivileged';
import { CAP_NET_ADMIN, CAP_NET_RAW, dropKeepingCaps } from '../../src/daemon/privileges';

const skip = needsNetns();
const DROP = join(__dirname, 'fixtures', 'drop.js');

interface Status { Uid: string; Gid: string; Groups: string; CapInh: string; CapPrm: string; CapEff: string; CapAmb: string; NoNewPrivs: string }
interface Result { error?: { code: string; message: string; name: string }; main: Status; others: Status[]; ring?: string }

describe('drop_privileges', { skip, timeout: 20000 }, () => {
  let lab: Lab;
  let ns: string;
  before(() => {
    lab = new Lab('cap');
    ns = lab.netns('a');
  });
  after(() => lab?.destroy());

  // A prefix that drops to nobody runs the fixture from a copy nobody can read.
  const run = (args: string[], prefix: string[] = []): Result => {
    const drop = prefix.some((a) => a.startsWith('--reuid')) ? join(readableRoot(), 'dist', 'test', 'daemon', 'fixtures', 'drop.js') : DROP;
    return JSON.parse(execFileSync('ip', ['netns', 'exec', ns, ...prefix, process.execPath, drop, ...args], { encoding: 'utf8', timeout: 10000 })) as Result;
  };

  test('root to 65534 keeping NET_RAW and NET_ADMIN: CapEff 0x3000 on the main thread, a ring still opens', () => {
    const r = run(['65534', '65534', `${CAP_NET_RAW},${CAP_NET_ADMIN}`, 'lo']);
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.main.Uid, '65534 65534 65534 65534');
    assert.equal(r.main.Gid, '65534 65534 65534 65534');
    assert.equal(r.main.Groups, '65534');
    assert.equal(r.main.CapEff, '0000000000003000');
    assert.equal(r.main.CapPrm, '0000000000003000');
    assert.equal(r.main.CapInh, '0000000000000000');
    assert.equal(r.main.CapAmb, '0000000000000000');
    assert.equal(r.main.NoNewPrivs, '1');
    assert.equal(r.ring, 'opened', 'CAP_NET_RAW kept: a packet socket opens after the drop');
    // glibc's setxid broadcast switched every thread; capset kept caps on the caller only.
    assert.ok(r.others.length >= 4, `threads: ${r.others.length}`);
    for (const t of r.others) {
      assert.equal(t.Uid, '65534 65534 65534 65534');
      assert.equal(t.Gid, '65534 65534 65534 65534');
      assert.equal(t.CapEff, '0000000000000000');
      assert.equal(t.CapPrm, '0000000000000000');
    }
  });

  test('keeping nothing: no capability left and a ring no longer opens (EPERM)', () => {
    const r = run(['65534', '65534', '', 'lo']);
    assert.equal(r.error, undefined);
    assert.equal(r.main.Uid, '65534 65534 65534 65534');
    assert.equal(r.main.CapEff, '0000000000000000');
    assert.equal(r.main.CapPrm, '0000000000000000');
    assert.equal(r.ring, 'EPERM');
  });

  test('capabilities the process does not have are not asked for: only CAP_NET_RAW kept when that is all there is', () => {
    const r = run(['65534', '65534', `${CAP_NET_RAW},${CAP_NET_ADMIN}`, 'lo'], ['setpriv', '--bounding-set=-net_admin']);
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.main.CapEff, '0000000000002000');
    assert.equal(r.ring, 'opened');
  });

  test('already unprivileged: fails at the first id step with .code EPERM and the step in the message', { skip: nobodySkipReason() }, () => {
    const r = run(['65533', '65533', `${CAP_NET_RAW}`], ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all']);
    assert.ok(r.error, 'must throw');
    assert.equal(r.error.code, 'EPERM');
    assert.match(r.error.message, /^setgroups 65533: EPERM \(operation not permitted\)$/);
    assert.equal(r.main.Uid, '65534 65534 65534 65534', 'nothing changed');
  });

  test('bad arguments are refused in TypeScript before any system call', () => {
    const native = { drop_privileges: () => assert.fail('must not be called') };
    assert.throws(() => dropKeepingCaps(-1, 0, [], [], native), /Expected integer between 0 and 4294967294 for uid but received -1 of type number/);
    assert.throws(() => dropKeepingCaps(0, 1.5, [], [], native), /for gid but received 1.5/);
    assert.throws(() => dropKeepingCaps(0, 0, [NaN], [], native), /for group but received NaN/);
    assert.throws(() => dropKeepingCaps(0, 0, [], [40], native), /Expected integer between 0 and 31 for capability but received 40/);
  });
});
