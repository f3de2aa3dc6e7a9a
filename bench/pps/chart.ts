// SVG chart: share of requests answered against offered rate, one line per responder.
// Hand-written SVG (no plotting dependency): log-scaled x axis (offered requests/s),
// linear y axis (share answered, %), a dashed line at the 99.9% threshold, a legend.

export interface ChartSeries {
  name: string;
  /** Points (offered requests/s, share answered 0..1); drawn sorted by offered rate. */
  points: ReadonlyArray<{ offered: number; answered: number }>;
}

export interface ChartOptions {
  title?: string;
  width?: number;
  height?: number;
  threshold?: number;
}

/** Dash patterns, so lines lying on top of each other (all at 100%) stay tellable apart. */
const DASHES = ['', '7,4', '2,3', '9,3,2,3'];
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Ticks at 1, 2 and 5 times powers of ten within [lo, hi]. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

/** 1000 -> "1k", 2500000 -> "2.5M". */
export function formatRate(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (v >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${Math.round(v)}`;
}

export function renderChart(series: readonly ChartSeries[], opts: ChartOptions = {}): string {
  const W = opts.width ?? 760;
  const H = opts.height ?? 440;
  const threshold = opts.threshold ?? 0.999;
  const m = { left: 64, right: 170, top: 40, bottom: 52 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;

  const all = series.flatMap((s) => s.points).filter((p) => p.offered > 0 && Number.isFinite(p.answered));
  let xlo = all.length ? Math.min(...all.map((p) => p.offered)) : 1e3;
  let xhi = all.length ? Math.max(...all.map((p) => p.offered)) : 1e6;
  // Whole 1-2-5 steps around the data, at least one decade wide.
  xlo = 10 ** Math.floor(Math.log10(xlo));
  xhi = 10 ** Math.ceil(Math.log10(xhi));
  if (xhi / xlo < 10) xhi = xlo * 10;
  const x = (v: number): number => m.left + ((Math.log10(v) - Math.log10(xlo)) / (Math.log10(xhi) - Math.log10(xlo))) * pw;
  const y = (share: number): number => m.top + (1 - Math.max(0, Math.min(1, share))) * ph;
  const f = (v: number): string => v.toFixed(1);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`,
  );
  if (opts.title) parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(opts.title)}</text>`);
  // Grid and axes.
  for (const t of logTicks(xlo, xhi)) {
    parts.push(`<line x1="${f(x(t))}" y1="${m.top}" x2="${f(x(t))}" y2="${m.top + ph}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${f(x(t))}" y="${m.top + ph + 16}" text-anchor="middle">${formatRate(t)}</text>`);
  }
  for (let s = 0; s <= 100; s += 20) {
    parts.push(`<line x1="${m.left}" y1="${f(y(s / 100))}" x2="${m.left + pw}" y2="${f(y(s / 100))}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${m.left - 6}" y="${f(y(s / 100) + 4)}" text-anchor="end">${s}%</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  parts.push(
    `<line x1="${m.left}" y1="${f(y(threshold))}" x2="${m.left + pw}" y2="${f(y(threshold))}" stroke="#888" stroke-dasharray="5,4"/>`,
    `<text x="${m.left + pw - 4}" y="${f(y(threshold) + 14)}" text-anchor="end" fill="#666">${+(threshold * 100).toFixed(2)}%</text>`,
  );
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">offered requests per second (log scale)</text>`);
  parts.push(
    `<text x="16" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.top + ph / 2})">share answered</text>`,
  );
  // One line per responder.
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const dash = DASHES[i % DASHES.length]!;
    const dashAttr = dash ? ` stroke-dasharray="${dash}"` : '';
    const pts = s.points.filter((p) => p.offered > 0 && Number.isFinite(p.answered)).slice().sort((a, b) => a.offered - b.offered);
    if (pts.length > 0) {
      const d = pts.map((p) => `${f(x(p.offered))},${f(y(p.answered))}`).join(' ');
      parts.push(`<polyline points="${d}" fill="none" stroke="${color}" stroke-width="2"${dashAttr}/>`);
      for (const p of pts) parts.push(`<circle cx="${f(x(p.offered))}" cy="${f(y(p.answered))}" r="3" fill="${color}"/>`);
    }
    const ly = m.top + 10 + i * 20;
    parts.push(`<line x1="${m.left + pw + 14}" y1="${ly}" x2="${m.left + pw + 38}" y2="${ly}" stroke="${color}" stroke-width="2"${dashAttr}/>`);
    parts.push(`<text x="${m.left + pw + 44}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
