// The neighbour cache's timers (NeighborCache.tick): the two FIFO queues' heads whose
// time has come. Fresh entries someone asked for start their refresh probes, the others
// are dropped; Probing and Incomplete entries get their next probe or, out of attempts,
// are dropped. At most `maxPerTick` actions per call, so a mass expiry is spread out.
import { EntryState, F_EXP, F_MAC, F_NEXT, STRIDE, W_STATE, type CacheTimerSink, type NeighborCache } from './cache';

/** Runs due timers: moves Fresh entries into probing, sends probes, drops the unanswered. */
export function runCacheTimers(c: NeighborCache, now: number, sink: CacheTimerSink): void {
  let budget = c.maxPerTick;
  // Fresh entries whose refresh window opened.
  for (let id = c.qHead[0]!; id >= 0 && c.fw[8 * id + F_NEXT]! <= now && budget-- > 0; id = c.qHead[0]!) {
    c.qUnlink(id);
    const live = c.refreshCount > 0 && now < c.fw[8 * id + F_EXP]!;
    if (live && c.lru.isProtected(id)) {
      c.iw[STRIDE * id + W_STATE] = EntryState.Probing;
      c.probes[id] = 1;
      c.fw[8 * id + F_NEXT] = now + c.refreshInterval;
      c.qAppend(1, id);
      if (sink.cacheProbe(c, id, c.fw[8 * id + F_MAC]!)) c.refreshProbes++;
    } else {
      c.expired++;
      if (live) c.unusedExpired++;
      c.drop(id);
    }
  }
  for (let id = c.qHead[1]!; id >= 0 && c.fw[8 * id + F_NEXT]! <= now && budget-- > 0; id = c.qHead[1]!) {
    c.qUnlink(id);
    const incomplete = c.iw[STRIDE * id + W_STATE] === EntryState.Incomplete;
    const limit = incomplete ? c.resolveAttempts : c.refreshCount;
    if (c.probes[id]! < limit && (incomplete || now < c.fw[8 * id + F_EXP]!)) {
      c.probes[id]!++;
      c.fw[8 * id + F_NEXT] = now + (incomplete ? c.resolveInterval : c.refreshInterval);
      c.qAppend(1, id);
      // Counted when sent (a retry nobody waits for, or one over the send limits, is not).
      if (sink.cacheProbe(c, id, c.fw[8 * id + F_MAC]!)) {
        if (incomplete) c.resolutions++;
        else c.refreshProbes++;
      }
    } else {
      if (incomplete) c.resolveFailures++;
      else {
        c.expired++;
        c.refreshFailures++;
      }
      c.drop(id);
    }
  }
}
