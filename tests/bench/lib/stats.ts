// Latency statistics for the benchmarks: percentiles by nearest rank over the samples, in microseconds.

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of ascending `sorted` (q in 0..1). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return { n: s.length, p50: percentile(s, 0.5), p90: percentile(s, 0.9), p99: percentile(s, 0.99), mean: s.length ? sum / s.length : Number.NaN, min: s[0] ?? Number.NaN, max: s.at(-1) ?? Number.NaN };
}

/** A figure for a table: integers above 100, three significant digits below. */
export function fmt(x: number | undefined, digits = 3): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  return Number(x.toPrecision(digits)).toString();
}

export const us = (ms: number): number => ms * 1000;
export const MiB = (bytes: number): number => bytes / 1048576;

/** Log-bucketed latency histogram (1% resolution): fixed memory however long a run lasts. */
export class Histogram {
  private readonly buckets = new Map<number, number>();
  n = 0;
  max = 0;
  min = Number.POSITIVE_INFINITY;
  sum = 0;
  private static readonly BASE = Math.log(1.01);

  record(us: number): void {
    const k = us <= 1 ? 0 : Math.ceil(Math.log(us) / Histogram.BASE);
    this.buckets.set(k, (this.buckets.get(k) ?? 0) + 1);
    this.n++;
    this.sum += us;
    if (us > this.max) this.max = us;
    if (us < this.min) this.min = us;
  }

  percentile(q: number): number {
    if (this.n === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (const k of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(k)!;
      if (seen >= rank) return Math.min(this.max, k === 0 ? 1 : Math.exp(k * Histogram.BASE));
    }
    return this.max;
  }

  summary(): Summary {
    return { n: this.n, p50: this.percentile(0.5), p90: this.percentile(0.9), p99: this.percentile(0.99), mean: this.n ? this.sum / this.n : Number.NaN, min: this.n ? this.min : Number.NaN, max: this.n ? this.max : Number.NaN };
  }
}
