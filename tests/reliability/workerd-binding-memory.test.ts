// Thousands of env.AI.run calls with 100 KiB tensors, in a few long handler requests, leave the
// handler's workerd bounded in resident memory: no frame, body or per-call object is retained.
// Measured (2 shared cores, memoryMb 32): ≈ 150 MiB after these 4000 calls (≈ 180 flat over 18 000
// before the semi-space cap); keeping each call's request frame alive reaches 500 MiB here.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { addModel } from '../fixtures/onnx-models.ts';
import { TOKEN, deploy, processesMentioning, startServe, tempDataDir, waitReady, type Serve } from '../e2e/serve-harness.ts';
import { rssOf } from './harness.ts';

const WIDTH = 25_600; // float32 → 100 KiB a tensor, each way
const CALLS_PER_REQUEST = 500;
const REQUESTS = 8; // 4000 calls, 2 requests at a time
/** Generous: the plateau is ≈ 150–180 MiB; one leaked 100 KiB frame a call overshoots it (measured 500). */
const MAX_RSS_MIB = 384;

const tmp = tempDataDir('rel-binding-memory');
const data = join(tmp.dir, 'data');
let serve: Serve;
beforeAll(async () => {
  serve = await startServe(data);
  const put = (path: string, body: Uint8Array) => fetch(`${serve.url}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}` }, body });
  expect((await put('/v1/models/wide/versions/1.0.0?placement=cpu', addModel({ width: WIDTH }))).status).toBe(201);
  expect((await put('/v1/models/tiny/versions/1.0.0?placement=cpu', addModel({ width: 4 }))).status).toBe(201);
  const d = await deploy(serve.url, 'tests/reliability/handlers/binding-loop.ts', ['--name', 'loop', '--route', '/loop', '--model', 'wide', '--model', 'tiny', '--memory-mb', '32']);
  expect(d.code, d.stderr).toBe(0);
  await waitReady(serve.url);
}, 180_000);
afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

async function workerdRss(): Promise<number> {
  const [line] = (await processesMentioning(data)).filter((p) => p.includes('workerd') && p.includes(' serve '));
  expect(line, 'the deployment has a workerd process').toBeDefined();
  return rssOf(Number(line!.split(':')[0]));
}

it(`holds workerd's RSS under ${MAX_RSS_MIB} MiB over ${REQUESTS * CALLS_PER_REQUEST} binding calls of 100 KiB tensors`, async () => {
  const trace: number[] = [await workerdRss()];
  let calls = 0;
  const one = async () => {
    const res = await fetch(`${serve.url}/loop?v=big&n=${CALLS_PER_REQUEST}`);
    const body = (await res.json()) as { n?: number; sum?: number };
    expect(res.status, JSON.stringify(body)).toBe(200);
    // The add model's output is x + 1 with x = 0.5 everywhere: every call really ran.
    expect(body).toEqual({ n: CALLS_PER_REQUEST, sum: CALLS_PER_REQUEST * 1.5 });
    calls += body.n!;
    trace.push(await workerdRss());
  };
  for (let i = 0; i < REQUESTS; i += 2) await Promise.all([one(), one()]);
  const mib = trace.map((b) => Math.round(b / 1048576));
  console.log(`workerd RSS (MiB) after each request of ${CALLS_PER_REQUEST} calls: ${mib.join(' ')}`);
  expect(calls).toBe(REQUESTS * CALLS_PER_REQUEST);
  expect(Math.max(...mib)).toBeLessThan(MAX_RSS_MIB);
}, 120_000);
