// A closed-loop load generator: `concurrency` callers each send the next request as soon as the last
// one answers, for a bounded time and count, recording each latency (µs) and each failure.
import { Histogram, summarize, type Summary } from './stats.ts';

export interface LoadOptions {
  concurrency: number;
  /** Measured phase length (ms). */
  durationMs: number;
  /** Upper bound on measured requests (default unbounded within durationMs). */
  maxRequests?: number;
  /** Unmeasured requests per caller first (default 0). */
  warmupPerCaller?: number;
  /** Called for every completed request with its latency, e.g. to sample memory. */
  onTick?: () => void;
  /** Keep every latency in `samplesUs` (default true); false keeps only a fixed-size histogram. */
  keepSamples?: boolean;
}

export interface LoadResult {
  concurrency: number;
  requests: number;
  errors: number;
  /** Up to 5 distinct error messages, for the report. */
  errorSamples: string[];
  elapsedS: number;
  rps: number;
  latencyUs: Summary;
  samplesUs: number[];
}

/** Runs `call(callerIndex, seq)` in a closed loop. A thrown error counts as a failed request. */
export async function closedLoop(opts: LoadOptions, call: (caller: number, seq: number) => Promise<unknown>): Promise<LoadResult> {
  const samples: number[] = [];
  const keep = opts.keepSamples ?? true;
  const hist = new Histogram();
  const errorSamples = new Set<string>();
  let errors = 0;
  let seq = 0;
  const max = opts.maxRequests ?? Number.POSITIVE_INFINITY;
  for (let w = 0; w < (opts.warmupPerCaller ?? 0); w++) {
    await Promise.all(Array.from({ length: opts.concurrency }, (_, c) => call(c, -1).catch(() => {})));
  }
  const start = performance.now();
  const end = start + opts.durationMs;
  async function caller(c: number): Promise<void> {
    while (performance.now() < end && seq < max) {
      const n = seq++;
      const t0 = performance.now();
      try {
        await call(c, n);
        const us = (performance.now() - t0) * 1000;
        if (keep) samples.push(us);
        else hist.record(us);
      } catch (err) {
        errors++;
        if (errorSamples.size < 5) errorSamples.add(err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}`.slice(0, 200) : String(err));
      }
      opts.onTick?.();
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, (_, c) => caller(c)));
  const elapsedS = (performance.now() - start) / 1000;
  const ok = keep ? samples.length : hist.n;
  return { concurrency: opts.concurrency, requests: ok + errors, errors, errorSamples: [...errorSamples], elapsedS, rps: ok / elapsedS, latencyUs: keep ? summarize(samples) : hist.summary(), samplesUs: samples };
}

/** One request at a time, `n` times after `warmup` unmeasured ones: latency without queueing. */
export async function sequential(n: number, warmup: number, call: (seq: number) => Promise<unknown>, maxMs = 60_000): Promise<LoadResult> {
  return closedLoop({ concurrency: 1, durationMs: maxMs, maxRequests: n, warmupPerCaller: warmup }, (_c, s) => call(s));
}

/**
 * Latency of several ways to do the same thing, one request at a time, measured in alternating
 * rounds so that drift on a shared machine (other processes, CPU frequency) falls on all alike.
 */
export async function interleaved(paths: Record<string, (seq: number) => Promise<unknown>>, opts: { n: number; warmup: number; rounds?: number }): Promise<Record<string, LoadResult>> {
  const rounds = opts.rounds ?? 4;
  const per = Math.max(1, Math.ceil(opts.n / rounds));
  const samples: Record<string, number[]> = {};
  const errors: Record<string, { n: number; samples: string[] }> = {};
  const elapsed: Record<string, number> = {};
  for (const name of Object.keys(paths)) {
    samples[name] = [];
    errors[name] = { n: 0, samples: [] };
    elapsed[name] = 0;
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, call] of Object.entries(paths)) {
      const res = await sequential(per, r === 0 ? opts.warmup : Math.ceil(opts.warmup / 10), call);
      samples[name]!.push(...res.samplesUs);
      errors[name]!.n += res.errors;
      errors[name]!.samples.push(...res.errorSamples);
      elapsed[name]! += res.elapsedS;
    }
  }
  const out: Record<string, LoadResult> = {};
  for (const name of Object.keys(paths)) {
    const s = samples[name]!;
    out[name] = { concurrency: 1, requests: s.length + errors[name]!.n, errors: errors[name]!.n, errorSamples: [...new Set(errors[name]!.samples)].slice(0, 5), elapsedS: elapsed[name]!, rps: s.length / elapsed[name]!, latencyUs: summarize(s), samplesUs: s };
  }
  return out;
}
