// The edge's CPU placement: a Backend whose ONNX Runtime sessions live in piscina worker threads
// (the one file that creates piscina pools). Every worker holds every model; requests go to the least busy.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import Piscina from 'piscina';
import { EdgennError } from '../wit/errors.ts';
import type { NamedTensors } from '../wit/types.ts';
import type { ModelManifest } from '../registry/manifest.ts';
import type { Backend, LoadedModel } from '../model-host/engine/types.ts';
import { movableBuffers } from '../model-host/engine/transfer.ts';
import { distEntry } from './paths.ts';
import type { WorkerData, WorkerError, WorkerLoadResult, WorkerTask } from './cpu-worker.ts';

export interface CpuPoolOptions {
  /** Worker threads (default max(1, cores − 1): one core stays with the edge's event loop). */
  workers?: number;
  /** ORT intra-op threads per worker (default: the cores the workers share, so workers × threads ≤ cores). */
  intraOpNumThreads?: number;
  log?: (line: string) => void;
  /** The bundled worker (default dist/edge/cpu-worker.js, built by `node edge/build.mjs`). */
  filename?: string;
}

export interface CpuWorkerStats {
  index: number;
  threadId: number | undefined;
  busy: number;
  /** Inference tasks this worker slot has answered. */
  runs: number;
  models: string[];
  /** Times this worker died and was replaced (its models reloaded). */
  replaced: number;
  healthy: boolean;
}

export interface CpuPool extends Backend {
  readonly workers: number;
  readonly intraOpNumThreads: number;
  stats(): CpuWorkerStats[];
  /** The live worker threads, for diagnostics and fault tests. */
  threads(): Worker[];
  close(): Promise<void>;
}

interface LoadSpec {
  manifest: ModelManifest;
  path: string;
  batchSizes: number[];
}

interface Slot {
  index: number;
  pool: Piscina;
  busy: number;
  runs: number;
  created: number;
  replaced: number;
  models: Map<string, LoadSpec>;
  /** Set from the moment its worker dies until the replacement has reloaded every model. */
  recovering?: Promise<void>;
  recovered?: () => void;
}

export function createCpuPool(options: CpuPoolOptions = {}): CpuPool {
  const cores = availableParallelism();
  const workers = options.workers ?? Math.max(1, cores - 1);
  const intraOpNumThreads = options.intraOpNumThreads ?? Math.max(1, Math.floor(Math.max(1, cores - 1) / workers));
  if (!Number.isSafeInteger(workers) || workers < 1) throw new EdgennError('invalid-argument', `workers must be a positive integer, got ${String(options.workers)}`);
  if (!Number.isSafeInteger(intraOpNumThreads) || intraOpNumThreads < 1) throw new EdgennError('invalid-argument', `intraOpNumThreads must be a positive integer, got ${String(options.intraOpNumThreads)}`);
  const log = options.log ?? (() => {});
  if (workers * intraOpNumThreads > cores) log(`cpu-pool: ${workers} workers × ${intraOpNumThreads} threads exceeds ${cores} cores; ONNX Runtime will oversubscribe`);
  const filename = options.filename ?? distEntry('edge/cpu-worker.ts');
  if (!existsSync(filename)) throw new EdgennError('unavailable', `the CPU worker bundle ${filename} is missing; build it with \`node edge/build.mjs\` (npm install runs it)`);
  const workerData: WorkerData = { intraOpNumThreads };
  let closing = false;
  let seq = 0;
  let rotate = 0;

  const slots: Slot[] = Array.from({ length: workers }, (_, index) => {
    // One thread per pool, so a load can reach every worker and each request picks its worker.
    const pool = new Piscina({ filename, minThreads: 1, maxThreads: 1, idleTimeout: Number.POSITIVE_INFINITY, concurrentTasksPerWorker: 1, workerData });
    const slot: Slot = { index, pool, busy: 0, runs: 0, created: 0, replaced: 0, models: new Map() };
    pool.on('workerDestroy', () => {
      if (closing || slot.recovering) return;
      slot.recovering = new Promise((resolve) => (slot.recovered = resolve));
    });
    pool.on('workerCreate', () => {
      if (slot.created++ === 0 || closing) return;
      slot.replaced++;
      log(`cpu-pool: worker ${index} died; reloading its ${slot.models.size} model(s) in the replacement`);
      void reload(slot);
    });
    pool.on('error', (err: unknown) => log(`cpu-pool: worker ${index}: ${String(err)}`));
    return slot;
  });

  async function reload(slot: Slot): Promise<void> {
    if (!slot.recovering) slot.recovering = new Promise((resolve) => (slot.recovered = resolve));
    for (const [id, spec] of slot.models) {
      try {
        await call<WorkerLoadResult>(slot, { op: 'load', id, ...spec }, [], true);
      } catch (err) {
        log(`cpu-pool: worker ${slot.index} could not reload ${id}: ${String(err)}`);
      }
    }
    const done = slot.recovered;
    delete slot.recovering;
    delete slot.recovered;
    done?.();
  }

  async function call<R>(slot: Slot, task: WorkerTask, transferList: ArrayBuffer[], recovery = false): Promise<R> {
    if (slot.recovering && !recovery) await slot.recovering;
    slot.busy++;
    try {
      const r = (await slot.pool.run(task, { transferList })) as R | WorkerError;
      if (r && typeof r === 'object' && 'error' in r && (r as WorkerError).error?.code) {
        const { code, message } = (r as WorkerError).error;
        throw new EdgennError(code as never, message, code === 'unavailable' ? { retryAfter: 1 } : undefined);
      }
      return r as R;
    } catch (err) {
      if (err instanceof EdgennError) throw err;
      throw new EdgennError('unavailable', `the CPU worker running this request stopped (${err instanceof Error ? err.message : String(err)}); retry`, { retryAfter: 1, cause: err });
    } finally {
      slot.busy--;
    }
  }

  /** The least busy worker that is not recovering (ties rotate); a recovering one only when all are. */
  function pick(): Slot {
    let best: Slot | undefined;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[(rotate + i) % slots.length]!;
      if (s.recovering) continue;
      if (!best || s.busy < best.busy) best = s;
    }
    rotate = (rotate + 1) % slots.length;
    return best ?? slots[0]!;
  }

  async function unloadEverywhere(id: string): Promise<void> {
    await Promise.all(
      slots.map(async (s) => {
        if (!s.models.delete(id)) return;
        await call(s, { op: 'unload', id }, []).catch(() => {});
      }),
    );
  }

  return {
    workers,
    intraOpNumThreads,
    async load(manifest, path, batchSizes, hooks): Promise<LoadedModel> {
      if (closing) throw new EdgennError('unavailable', 'the CPU pool is closing');
      const id = `${manifest.name}@${manifest.version}#${++seq}`;
      const spec: LoadSpec = { manifest, path, batchSizes };
      hooks?.onWarming?.(); // the workers open and warm in one step
      const results: WorkerLoadResult[] = [];
      try {
        // One worker at a time: each measures the process RSS its own load added.
        for (const s of slots) {
          s.models.set(id, spec);
          results.push(await call<WorkerLoadResult>(s, { op: 'load', id, ...spec }, []));
        }
      } catch (err) {
        await unloadEverywhere(id);
        throw err;
      }
      let closed = false;
      return {
        provider: 'cpu',
        residentBytes: results.reduce((n, r) => n + Math.max(r.residentBytes, manifest.size), 0),
        loadMs: Math.max(...results.map((r) => r.loadMs)),
        warmupMs: Math.max(...results.map((r) => r.warmupMs)),
        concurrency: workers,
        async run(inputs: NamedTensors, opts?: { outputs?: string[] }) {
          if (closed) throw new EdgennError('unavailable', `model ${manifest.name}@${manifest.version} is unloaded`, { retryAfter: 1 });
          const slot = pick();
          const task: WorkerTask = { op: 'run', id, inputs, ...(opts?.outputs ? { outputs: opts.outputs } : {}) };
          // Inputs move to the worker, so a request whose worker dies mid-run is not retried here:
          // it fails with retryable `unavailable` and the caller sends it again.
          const out = await call<NamedTensors>(slot, task, movableBuffers(inputs));
          slot.runs++;
          return out;
        },
        async close() {
          if (closed) return;
          closed = true;
          await unloadEverywhere(id);
        },
      };
    },
    stats() {
      return slots.map((s) => ({ index: s.index, threadId: s.pool.threads[0]?.threadId, busy: s.busy, runs: s.runs, models: [...s.models.keys()], replaced: s.replaced, healthy: !s.recovering }));
    },
    threads() {
      return slots.flatMap((s) => s.pool.threads);
    },
    async close() {
      closing = true;
      await Promise.all(slots.map((s) => s.pool.destroy()));
    },
  };
}
