// Sustained mixed traffic through the whole platform: HTTP → `edgenn serve` → a handler in workerd
// → env.AI.run → the CPU pool or the model-host, over four models, for EDGENN_SOAK_SECONDS (15 s in
// CI). Zero errors, p50/p99 printed, and the resident memory of `edgenn serve` (with its CPU pool)
// and of the model-host after the run at most 1.2× its level after warm-up. The handler's workerd is
// not held to the ratio: its V8 heap grows towards the deployment's cap before collecting (measured:
// 67 → ≈ 200–210 MiB (with --max-semi-space-size=2) over ~40 s at 380 req/s, then flat), so it must not restart and its trace is printed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { addModel, largeModel, scaleModel } from '../fixtures/onnx-models.ts';
import { TOKEN, deploy, processesMentioning, startServe, tempDataDir, waitReady, type Serve } from '../e2e/serve-harness.ts';
import { mixedLoad, rssOf, sleep, warmUntilFlat } from './harness.ts';

const SECONDS = Number(process.env.EDGENN_SOAK_SECONDS ?? 15);
/** The least warm-up; it goes on (up to 30 s) until serve's and the model-host's RSS stop climbing. */
const WARMUP_SECONDS = 6;
const CLIENTS = 6;
/**
 * ≤ 1.2× for soak runs of 45 s or more (`npm run bench`). In the 15 s CI run on two shared cores
 * the edge chain serves too few requests to finish its ramp within the warm-up, so CI holds it to
 * 1.5× (still catches a leak of a few KiB per request); the in-process soak test asserts 1.2×.
 */
const MAX_RSS_RATIO = SECONDS >= 45 ? 1.2 : 1.5;

const tmp = tempDataDir('rel-soak-edge');
const data = join(tmp.dir, 'data');
let serve: Serve;
beforeAll(async () => {
  serve = await startServe(data);
  const put = (path: string, body: Uint8Array) => fetch(`${serve.url}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}` }, body });
  expect((await put('/v1/models/cpu-adder/versions/1.0.0?placement=cpu', addModel({ bias: 1 }))).status).toBe(201);
  expect((await put('/v1/models/cpu-scale/versions/1.0.0?placement=cpu', scaleModel(3))).status).toBe(201);
  expect((await put('/v1/models/host-adder/versions/1.0.0?placement=gpu', addModel({ bias: 2 }))).status).toBe(201);
  expect((await put('/v1/models/host-heavy/versions/1.0.0?placement=gpu', largeModel(16 * 1024 * 1024))).status).toBe(201);
  const d = await deploy(serve.url, 'tests/e2e/handlers/infer.ts', ['--name', 'soak', '--route', '/soak/*', ...['cpu-adder', 'cpu-scale', 'host-adder', 'host-heavy'].flatMap((m) => ['--model', m])]);
  expect(d.code, d.stderr).toBe(0);
  await waitReady(serve.url);
}, 180_000);
afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

type Json = { type: string; dims: number[]; data: number[] };
const vec = (i: number): Json => ({ type: 'FP32', dims: [1, 4], data: [i % 7, 1, 2, 3] });
const CALLS: Array<{ kind: string; model: string; inputs: (i: number) => Record<string, Json>; want: (i: number) => number }> = [
  { kind: 'cpu adder', model: 'cpu-adder', inputs: (i) => ({ x: vec(i) }), want: (i) => (i % 7) + 1 },
  { kind: 'cpu scale', model: 'cpu-scale', inputs: (i) => ({ x: { type: 'FP32', dims: [1, 3], data: [1, 2, 3] }, k: { type: 'I64', dims: [], data: [(i % 5) + 1] } }), want: (i) => (i % 5) + 1 },
  { kind: 'host adder', model: 'host-adder', inputs: (i) => ({ x: vec(i) }), want: (i) => (i % 7) + 2 },
  { kind: 'host heavy', model: 'host-heavy', inputs: (i) => ({ x: vec(i) }), want: (i) => i % 7 },
];

async function rssAll(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const p of await processesMentioning(data)) {
    const [pid, cmd = ''] = p.split(': ');
    const label = cmd.includes('workerd') ? 'workerd' : cmd.includes('model-host') ? 'model-host' : cmd.includes(' serve ') ? 'serve' : 'other';
    const rss = await rssOf(Number(pid)).catch(() => 0);
    if (rss > 0) out.set(`${label}[${pid}]`, rss);
  }
  return out;
}

it(`serves ${SECONDS} s of mixed traffic through the edge with zero errors and flat memory`, async () => {
  const byKind = new Map(CALLS.map((c) => [c.kind, c]));
  const load = mixedLoad(
    CALLS.map((c) => c.kind),
    CLIENTS,
    async (kind, i) => {
      const call = byKind.get(kind)!;
      const res = await fetch(`${serve.url}/soak/${i}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: call.model, inputs: call.inputs(i) }) });
      const body = (await res.json()) as { outputs?: { y?: { data: number[] } }; error?: unknown };
      return res.status === 200 && body.outputs?.y?.data[0] === call.want(i) ? undefined : `${res.status} ${JSON.stringify(body).slice(0, 200)}`;
    },
  );
  const { runFor } = load;

  const trace: string[] = [];
  const sampler = setInterval(() => void rssAll().then((m) => trace.push([...m].map(([k, v]) => `${k.split('[')[0]}:${(v / 1048576).toFixed(0)}`).join('/'))), 2000);
  const held = async () => [...(await rssAll())].filter(([k]) => !k.startsWith('workerd')).map(([, v]) => v);
  const warmedMs = await warmUntilFlat(load, held, WARMUP_SECONDS * 1000, 30_000);
  await sleep(200);
  const warm = await rssAll();
  load.measuring = true;
  await runFor(SECONDS * 1000);
  load.measuring = false;
  await sleep(200);
  const after = await rssAll();
  clearInterval(sampler);
  console.log(`RSS every 2 s (MiB): ${trace.join('  ')}; warm-up ${warmedMs} ms`);

  const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
  const ratios = [...warm].map(([k, w]) => ({ k, w, a: after.get(k) ?? 0, r: (after.get(k) ?? 0) / w }));
  console.log(
    `sustained load through the edge ${SECONDS} s, ${CLIENTS} clients: ${load.summary(SECONDS)}` +
      `\n  RSS ${ratios.map(({ k, w, a, r }) => `${k} ${mib(w)} → ${mib(a)} (×${r.toFixed(3)})`).join('; ')}`,
  );
  expect(load.errors).toEqual([]);
  for (const c of CALLS) expect(load.latencies.get(c.kind)!.length, c.kind).toBeGreaterThan(10);
  expect(ratios.length).toBeGreaterThanOrEqual(3); // serve, model-host, workerd
  for (const { k, r } of ratios) if (!k.startsWith('workerd')) expect(r, k).toBeLessThanOrEqual(MAX_RSS_RATIO);
  const dep = (await (await fetch(`${serve.url}/v1/deployments/soak`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { deployment: { restarts: number; version: number } };
  expect(dep.deployment).toMatchObject({ restarts: 0, version: 1 });
}, (SECONDS + 30 + 90) * 1000);
