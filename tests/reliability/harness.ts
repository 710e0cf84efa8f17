// Shared set-up for the reliability suites: a registry store snapshot (to prove bad input changed
// nothing), an in-process model-host (real engine + ONNX Runtime behind the real v2 app), and small
// bounded helpers (raw HTTP, RSS sampling, percentiles).
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { createModelHostApp } from '../../model-host/app.ts';
import { createModelManager, type ModelManager } from '../../model-host/engine/manager.ts';
import { createOrtBackend } from '../../model-host/engine/ort-backend.ts';
import { createModelDir, type ModelDir } from '../integration/engine-fixtures.ts';

export interface StoreSnapshot {
  tmp: string[];
  blobs: string[];
  index: string;
  events: string;
}

/** Everything a registry keeps on disk that a refused request must leave untouched. */
export async function snapshotStore(dataDir: string): Promise<StoreSnapshot> {
  const dir = join(dataDir, 'registry');
  const events = await readFile(join(dir, 'events.jsonl'), 'utf8').catch(() => '');
  return {
    tmp: (await readdir(join(dir, 'tmp'))).sort(),
    blobs: (await readdir(join(dir, 'blobs', 'sha256'))).sort(),
    index: await readFile(join(dir, 'index.json'), 'utf8'),
    events,
  };
}

export interface HostModel {
  name: string;
  version: string;
  model: Uint8Array | string;
}

export interface InProcessHost {
  app: Hono;
  manager: ModelManager;
  models: ModelDir;
  close(): Promise<void>;
}

/** The real model-host app over a real manager and ORT backend, each model ensured and routed by name. */
export async function startInProcessHost(list: HostModel[], opts: { maxBodyBytes?: number } = {}): Promise<InProcessHost> {
  const models = createModelDir();
  const manager = createModelManager({ backend: createOrtBackend({ intraOpNumThreads: 1 }), blobs: models, memoryBudgetBytes: 1 << 30 });
  for (const m of list) {
    const manifest = await models.add(m.name, m.version, m.model);
    await manager.ensure(manifest, { pin: true });
    await manager.route(m.name, '', m.version);
  }
  const app = createModelHostApp({ manager, preloads: () => list.map((m) => m.name), ...(opts.maxBodyBytes ? { maxBodyBytes: opts.maxBodyBytes } : {}) });
  return {
    app,
    manager,
    models,
    async close() {
      await manager.close();
      models.cleanup();
    },
  };
}

export interface RawResponse {
  status: number;
  body: string;
}

/** One HTTP request sent byte for byte as given (no URL normalisation: `%2e%2e` stays as it is). */
export function rawRequest(url: string, method: string, path: string, headers: Record<string, string>, body?: Uint8Array | string, timeoutMs = 10_000): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port: Number(port), method, path, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Resident memory of a process in bytes, from /proc/<pid>/status (VmRSS). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it is true; throws after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000, everyMs = 25): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
}

/** Mixed traffic for the soak tests: `clients` loops, call i is of kind i mod kinds, latencies kept while `measuring`. */
export interface MixedLoad {
  kinds: string[];
  latencies: Map<string, number[]>;
  errors: string[];
  measuring: boolean;
  /** Runs for `ms`; each call returns undefined when its answer was right, else what was wrong. */
  runFor(ms: number): Promise<void>;
  /** One line per kind plus the overall figures, for the test's printout. */
  summary(seconds: number): string;
}

export function mixedLoad(kinds: string[], clients: number, call: (kind: string, i: number) => Promise<string | undefined>): MixedLoad {
  const load: MixedLoad = {
    kinds,
    latencies: new Map(kinds.map((k) => [k, []])),
    errors: [],
    measuring: false,
    async runFor(ms) {
      const end = Date.now() + ms;
      await Promise.all(
        Array.from({ length: clients }, async (_, c) => {
          for (let i = c; Date.now() < end && i < 10_000_000 && load.errors.length < 20; i += clients) {
            const kind = kinds[i % kinds.length]!;
            const t0 = performance.now();
            try {
              const wrong = await call(kind, i);
              if (wrong !== undefined) load.errors.push(`${kind}: ${wrong}`);
            } catch (err) {
              load.errors.push(`${kind}: ${(err as Error).message}`);
            }
            if (load.measuring) load.latencies.get(kind)!.push(performance.now() - t0);
          }
        }),
      );
    },
    summary(seconds) {
      const all = [...load.latencies.values()].flat().sort((a, b) => a - b);
      const fig = (l: number[]) => `p50 ${percentile(l, 50).toFixed(2)} ms p99 ${percentile(l, 99).toFixed(2)} ms`;
      const lines = kinds.map((k) => {
        const l = load.latencies.get(k)!.sort((a, b) => a - b);
        return `${k} n=${l.length} ${fig(l)}`;
      });
      return `${all.length} requests (${(all.length / seconds).toFixed(0)}/s), ${load.errors.length} errors; overall ${fig(all)}\n  ${lines.join('\n  ')}`;
    },
  };
  return load;
}

/**
 * Warms up under load until the resident memory of the watched processes stops climbing (each grew
 * under 2 % in each of the last two 2 s slices), after at least `minMs` and at most `maxMs`. Returns
 * the time it took: the level "after warm-up" is then the process's working size, not a point on
 * its ramp (heaps and ORT's arenas grow with the first few thousand requests).
 */
export async function warmUntilFlat(load: Pick<MixedLoad, 'runFor'>, sample: () => Promise<number[]>, minMs: number, maxMs: number): Promise<number> {
  const started = Date.now();
  let last = await sample();
  let flatSlices = 0;
  for (;;) {
    await load.runFor(2_000);
    const now = await sample();
    flatSlices = now.length === last.length && now.every((v, i) => v <= last[i]! * 1.02) ? flatSlices + 1 : 0;
    last = now;
    const elapsed = Date.now() - started;
    if ((flatSlices >= 2 && elapsed >= minMs) || elapsed >= maxMs) return elapsed;
  }
}
