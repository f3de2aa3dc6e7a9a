// The "80 % of the measured flood capacity" rule (issue 11): a responder's flood replies/s
// is its capacity on this testbed; at every offered rate up to 80 % of it, every request
// must be answered. Probed after the rounds, each fraction `rounds` times; the worst
// probe is what counts (one lost request is a miss).

export interface CapacityProbe {
  fraction: number;
  /** Asked rate, requests/s (fraction x capacity). */
  nominal: number;
  /** Achieved rate of the worst probe. */
  offered: number;
  /** Lowest share answered over the probes, 0..1. */
  answered: number;
  /** Requests sent and not answered, summed over the probes. */
  lost: number;
  sent: number;
}

export interface CapacityCheck {
  name: string;
  /** Median flood replies/s of the rounds. */
  capacity: number;
  probes: CapacityProbe[];
}

export type RateProbe = (rate: number, label: string) => Promise<{ offered: number; answered: number; replies: number; sent: number }>;

/** Probes `fractions` of `capacity`, `repeat` times each. */
export async function checkBelowCapacity(name: string, capacity: number, fractions: number[], repeat: number, probe: RateProbe): Promise<CapacityCheck> {
  const probes: CapacityProbe[] = [];
  for (const fraction of fractions) {
    const nominal = Math.max(1000, Math.round((capacity * fraction) / 1000) * 1000);
    let worst = { offered: 0, answered: 1 };
    let lost = 0;
    let sent = 0;
    for (let k = 0; k < repeat; k++) {
      const s = await probe(nominal, `${name} @ ${Math.round(fraction * 100)} % of capacity (${nominal}/s)`);
      lost += s.sent - s.replies;
      sent += s.sent;
      if (s.answered <= worst.answered) worst = s;
    }
    probes.push({ fraction, nominal, offered: worst.offered, answered: worst.answered, lost, sent });
  }
  return { name, capacity, probes };
}

/** One line per responder and fraction. */
export function capacityTable(checks: CapacityCheck[]): string {
  if (checks.length === 0) return '';
  const lines = ['below capacity: share answered at fractions of the measured flood capacity (worst probe; target 100.000 %)'];
  for (const c of checks) {
    for (const p of c.probes) {
      lines.push(
        `  ${c.name.padEnd(15)} capacity ${(c.capacity / 1000).toFixed(1)}k/s  ${String(Math.round(p.fraction * 100)).padStart(3)} % = ` +
          `${(p.nominal / 1000).toFixed(0).padStart(4)}k/s asked, ${(p.offered / 1000).toFixed(1).padStart(6)}k/s offered: ` +
          `${(p.answered * 100).toFixed(3).padStart(7)} % answered, ${p.lost} of ${p.sent} lost  ${p.lost === 0 ? 'PASS' : 'MISS'}`,
      );
    }
  }
  return lines.join('\n') + '\n\n';
}

export function parseFractions(text: string): number[] {
  if (text === 'none') return [];
  const out = text.split(',').map(Number);
  for (const f of out) if (!(f > 0 && f <= 1)) throw new RangeError(`expected fractions in (0, 1], got '${text}'`);
  return out;
}
