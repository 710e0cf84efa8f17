// The lifecycle controller on real parts (a registry over HTTP, the engine's ModelManager on the
// piscina CPU pool): acquire makes refs ready and routed; an alias move on the change feed loads
// the new version before the switch and unloads the old one after; release unloads what no one holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../registry/registry.ts';
import { startRegistryServer, type RunningServer } from '../registry/server.ts';
import { createRegistryClient } from '../registry/client.ts';
import { createModelManager, type ModelManager } from '../model-host/engine/manager.ts';
import { createBlobCache } from '../model-host/engine/blob-cache.ts';
import { createCpuPool, type CpuPool } from './cpu-pool.ts';
import { createLifecycle, type Lifecycle } from './lifecycle.ts';
import { createPlacementRouter, type PlacementRouter } from './placement.ts';
import { silentLog } from './log.ts';
import { addModel, writeModel } from '../tests/fixtures/onnx-models.ts';
import type { Tensor } from '../wit/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgenn-lifecycle-'));
const token = 'lifecycle-token';
let server: RunningServer;
let closeRegistry: () => Promise<void>;
let pool: CpuPool;
let cpu: ModelManager;
let router: PlacementRouter;
let lifecycle: Lifecycle;
const feed = new AbortController();
let registry: ReturnType<typeof createRegistryClient>;

beforeAll(async () => {
  const reg = await createRegistry({ dataDir: join(dir, 'data'), token });
  closeRegistry = reg.close;
  server = await startRegistryServer(reg.app, 0);
  registry = createRegistryClient({ url: server.url, token });
  await registry.publish(writeModel(join(dir, 'a1.onnx'), addModel({ bias: 1 })), { name: 'a', version: '1.0.0', placement: 'cpu', aliases: ['stable'] });
  await registry.publish(writeModel(join(dir, 'a2.onnx'), addModel({ bias: 2 })), { name: 'a', version: '2.0.0', placement: 'cpu' });
  pool = createCpuPool({ workers: 1 });
  cpu = createModelManager({ backend: pool, blobs: createBlobCache({ dir: join(dir, 'cpu-cache'), registry }), memoryBudgetBytes: 256 * 1024 ** 2 });
  router = createPlacementRouter({ cpu });
  lifecycle = createLifecycle({ registry, router, cpu, log: silentLog });
  void lifecycle.follow(feed.signal);
}, 120_000);

afterAll(async () => {
  feed.abort();
  await cpu?.close();
  await pool?.close();
  await server?.close();
  await closeRegistry?.();
  rmSync(dir, { recursive: true, force: true });
});

// A fresh tensor per call: the CPU pool moves input buffers to its worker (transfer, no copy).
const x = (): Tensor => ({ type: 'FP32', dims: [1, 4], data: new Float32Array(4) });
const state = (version: string) => cpu.status().find((s) => s.name === 'a' && s.version === version)?.state;

describe('lifecycle', () => {
  it('makes an acquired ref ready and routed before returning', async () => {
    const got = await lifecycle.acquire('svc@1', ['a@stable']);
    expect(got.get('a@stable')?.version).toBe('1.0.0');
    expect(state('1.0.0')).toBe('ready');
    const out = await router.run('a@stable', { x: x() }, {});
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1, 1, 1, 1]);
    expect(await lifecycle.notReady(['a@stable'])).toEqual([]);
  });

  it('refuses a ref the registry does not know, naming it', async () => {
    await expect(lifecycle.acquire('svc@2', ['a@stable', 'missing@1.0.0'])).rejects.toThrow(/missing@1\.0\.0/);
    // What svc@1 holds is untouched.
    expect(router.entry('a@stable')?.manifest.version).toBe('1.0.0');
  });

  it('follows an alias move: new version ready, then routed, then the old one unloaded', async () => {
    await registry.setAlias('a', 'stable', '2.0.0');
    for (let i = 0; i < 200 && state('1.0.0') !== 'unloaded'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(router.entry('a@stable')?.manifest.version).toBe('2.0.0');
    expect(state('2.0.0')).toBe('ready');
    expect(state('1.0.0')).toBe('unloaded');
    const out = await router.run('a@stable', { x: x() }, {});
    expect(Array.from(out.y!.data as Float32Array)).toEqual([2, 2, 2, 2]);
  });

  it('moves a bare name when a newer version is published (latest)', async () => {
    await registry.publish(writeModel(join(dir, 'b1.onnx'), addModel({ bias: 5 })), { name: 'b', version: '1.0.0', placement: 'cpu' });
    await lifecycle.acquire('svc@3', ['b']);
    expect(router.entry('b')?.manifest.version).toBe('1.0.0');
    await registry.publish(writeModel(join(dir, 'b2.onnx'), addModel({ bias: 6 })), { name: 'b', version: '1.1.0', placement: 'cpu' });
    for (let i = 0; i < 200 && router.entry('b')?.manifest.version !== '1.1.0'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(router.entry('b')?.manifest.version).toBe('1.1.0');
    const out = await router.run('b', { x: x() }, {});
    expect(Array.from(out.y!.data as Float32Array)).toEqual([6, 6, 6, 6]);
    await lifecycle.release('svc@3');
  });

  it('unloads what no one holds after release', async () => {
    await lifecycle.release('svc@1');
    expect(router.entry('a@stable')).toBeUndefined();
    expect(state('2.0.0')).toBe('unloaded');
    expect(await lifecycle.notReady(['a@stable'])).toEqual(["model 'a@stable' is not loaded"]);
  });

  it('gives up a load waiting on a model-host that never gets ready as soon as its signal aborts', async () => {
    await registry.publish(writeModel(join(dir, 'h1.onnx'), addModel({ bias: 7 })), { name: 'h', version: '1.0.0', placement: 'gpu' });
    const shutdown = new AbortController();
    const hostRouter = createPlacementRouter({});
    const stuck = createLifecycle({ registry, router: hostRouter, modelHostReady: () => new Promise<void>(() => {}), signal: shutdown.signal, log: silentLog });
    const acquiring = stuck.acquire('svc@9', ['h']);
    // Let it get past the registry to the wait (bounded: 100 looks, 10 ms apart); it must still be pending.
    let settled = false;
    void acquiring.catch(() => undefined).finally(() => (settled = true));
    for (let i = 0; i < 100; i++) await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    shutdown.abort();
    await expect(acquiring).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('shutting down') });
    expect(hostRouter.entry('h')).toBeUndefined();
  });
});
