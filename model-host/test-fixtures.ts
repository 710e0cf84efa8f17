// Real parts for the model-host tests: a registry on 127.0.0.1 port 0 with generated ONNX models
// published to it, and an in-process model-host (real manager, ONNX Runtime, blob cache) on a
// Unix socket in a temp dir, reached through the real v2 client.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from '../registry/registry.ts';
import { startRegistryServer } from '../registry/server.ts';
import { createRegistryClient, type HttpRegistryClient } from '../registry/client.ts';
import type { ModelManifest } from '../registry/manifest.ts';
import type { PublishMetadata } from '../registry/store.ts';
import { createBlobCache } from './engine/blob-cache.ts';
import { createModelManager, type ModelManager } from './engine/manager.ts';
import { createOrtBackend } from './engine/ort-backend.ts';
import type { Backend, BatchingOptions } from './engine/types.ts';
import { createModelHostApp } from './app.ts';
import { createV2Client, type V2Client } from './client.ts';
import { createModelHostMetrics, type ModelHostMetrics } from './metrics.ts';
import { followRegistry } from './follow.ts';
import { preloadAll } from './preload.ts';
import { listen, type Listening } from './server.ts';

/** A temp dir that others may traverse (the sandboxed child may run as `nobody`). */
export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `edgenn-${prefix}-`));
  chmodSync(dir, 0o755);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestRegistry {
  url: string;
  client: HttpRegistryClient;
  publish(bytes: Uint8Array, meta: PublishMetadata): Promise<ModelManifest>;
  close(): Promise<void>;
}

export async function startTestRegistry(dataDir: string): Promise<TestRegistry> {
  const token = 'test-admin-token';
  const registry = await createRegistry({ dataDir, token, log: () => {} });
  const server = await startRegistryServer(registry.app, 0);
  const client = createRegistryClient({ url: server.url, token });
  let n = 0;
  return {
    url: server.url,
    client,
    async publish(bytes, meta) {
      const file = join(dataDir, `upload-${n++}.onnx`);
      writeFileSync(file, bytes);
      return (await client.publish(file, meta)).manifest;
    },
    async close() {
      await server.close();
      await registry.close();
    },
  };
}

/** Wraps a backend so a test can hold every run at a gate: the model's slot stays busy and requests queue. */
export function gatedBackend(inner: Backend): { backend: Backend; hold(): void; release(): void } {
  let gate: Promise<void> | undefined;
  let open = (): void => {};
  const backend: Backend = {
    async load(manifest, blobPath, sizes, hooks) {
      const m = await inner.load(manifest, blobPath, sizes, hooks);
      return {
        provider: m.provider,
        residentBytes: m.residentBytes,
        loadMs: m.loadMs,
        warmupMs: m.warmupMs,
        ...(m.concurrency !== undefined ? { concurrency: m.concurrency } : {}),
        run: async (inputs, o) => (await gate, m.run(inputs, o)),
        close: () => m.close(),
      };
    },
    ...(inner.close ? { close: () => inner.close!() } : {}),
  };
  return {
    backend,
    hold() {
      gate = new Promise<void>((r) => (open = r));
    },
    release() {
      open();
      gate = undefined;
    },
  };
}

export interface InProcessHost {
  manager: ModelManager;
  metrics: ModelHostMetrics;
  client: V2Client;
  listening: Listening;
  socketPath: string;
  /** Sets what /v2/health/ready waits for (undefined = still preloading). */
  setPreloads(refs: string[] | undefined): void;
  preload(refs: string[]): Promise<void>;
  /** Follows the registry's change feed (as main.ts does after preloading) until close. */
  follow(): void;
  close(): Promise<void>;
}

export async function startInProcessHost(opts: { dir: string; registryUrl: string; memoryBudgetBytes?: number; batching?: Partial<BatchingOptions>; maxBodyBytes?: number; log?: (l: string) => void; wrapBackend?: (b: Backend) => Backend }): Promise<InProcessHost> {
  const log = opts.log ?? (() => {});
  mkdirSync(opts.dir, { recursive: true });
  const registry = createRegistryClient({ url: opts.registryUrl });
  const metrics = createModelHostMetrics({ defaults: false });
  const manager = createModelManager({
    backend: (opts.wrapBackend ?? ((b) => b))(createOrtBackend({ log })),
    blobs: createBlobCache({ dir: join(opts.dir, 'cache'), registry }),
    memoryBudgetBytes: opts.memoryBudgetBytes ?? 1024 ** 3,
    ...(opts.batching ? { batching: opts.batching } : {}),
    log,
    onEvent: metrics.engineEvent,
  });
  let preloads: string[] | undefined;
  const app = createModelHostApp({ manager, registry, metrics, preloads: () => preloads, ...(opts.maxBodyBytes ? { maxBodyBytes: opts.maxBodyBytes } : {}) });
  const socketPath = join(opts.dir, 'mh.sock');
  const listening = await listen(app, { socketPath });
  const client = createV2Client({ socketPath });
  const following = new AbortController();
  return {
    manager,
    metrics,
    client,
    listening,
    socketPath,
    setPreloads: (refs) => {
      preloads = refs;
    },
    async preload(refs) {
      await preloadAll({ manager, registry, refs, log });
      preloads = refs;
    },
    follow() {
      void followRegistry({ manager, registry, signal: following.signal, log });
    },
    async close() {
      following.abort();
      await client.close();
      await listening.close();
      await manager.close();
    },
  };
}
