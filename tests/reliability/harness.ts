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
