// kill -9 of the whole `edgenn serve` under traffic, then a restart on the same data dir: no child
// (workerd, model-host) outlives it, and after the restart the deployments (with their rollback
// history), the aliases and the models are all there and preloaded on both placements before
// /healthz/ready says 200 — the first requests after ready succeed. (edge-restart covers a clean stop.)
import { afterAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { addModel } from '../fixtures/onnx-models.ts';
import { TOKEN, callModel, cli, deploy, processesMentioning, startServe, tempDataDir, waitReady, type Serve } from '../e2e/serve-harness.ts';
import { sleep, until } from './harness.ts';

const tmp = tempDataDir('rel-kill-serve');
const data = join(tmp.dir, 'data');
let serve: Serve | undefined;
afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

const auth = { authorization: `Bearer ${TOKEN}` };
const x = { type: 'FP32', dims: [1, 4], data: [1, 1, 1, 1] };
const put = (url: string, path: string, body: string | Uint8Array) => fetch(`${url}${path}`, { method: 'PUT', headers: auth, body });

it('comes back whole and warm after kill -9 of edgenn serve', async () => {
  serve = await startServe(data);
  const url = serve.url;
  expect((await put(url, '/v1/models/on-cpu/versions/1.0.0?placement=cpu', addModel({ bias: 5 }))).status).toBe(201);
  expect((await put(url, '/v1/models/on-host/versions/1.0.0?placement=gpu', addModel({ bias: 7 }))).status).toBe(201);
  expect((await put(url, '/v1/models/on-host/versions/1.1.0?placement=gpu', addModel({ bias: 9 }))).status).toBe(201);
  expect((await put(url, '/v1/models/on-host/aliases/stable', JSON.stringify({ version: '1.0.0' }))).status).toBe(200);
  const args = (v: string) => ['--name', 'svc', '--route', '/svc/*', '--model', 'on-cpu', '--model', 'on-host@stable', '--var', `VERSION=${v}`];
  for (const v of ['1', '2']) {
    const d = await deploy(url, 'tests/e2e/handlers/infer.ts', args(v));
    expect(d.code, d.stderr).toBe(0);
  }
  await waitReady(url);
  const modelsBefore = await (await fetch(`${url}/v1/models`)).json();

  // Traffic while the kill lands: requests may fail (the server is gone) but none may hang.
  let stop = false;
  const traffic = (async () => {
    let n = 0;
    while (!stop && n++ < 10_000) {
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), 10_000);
      await fetch(`${url}/svc/t`, { method: 'POST', signal: ac.signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'on-host', inputs: { x } }) })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
      clearTimeout(timer);
    }
  })();
  await sleep(500);
  const pid = serve.proc.pid!;
  serve.proc.kill('SIGKILL');
  await serve.stop();
  stop = true;
  await traffic;
  expect(() => process.kill(pid, 0)).toThrow();

  // Its children notice and go (the model-host watches its stdin; workerd its parent).
  const orphansAt = Date.now();
  await until('no process left mentioning the data dir', async () => (await processesMentioning(data)).length === 0, 20_000, 100).catch(async (err) => {
    throw new Error(`${(err as Error).message}: ${(await processesMentioning(data)).join('\n')}`);
  });
  const orphanMs = Date.now() - orphansAt;

  const restartedAt = Date.now();
  serve = await startServe(data);
  const statuses = await waitReady(serve.url);
  const readyMs = Date.now() - restartedAt;
  expect(statuses.at(-1)).toBe(200);
  // Ready means warm, on both placements, through the alias: the very first requests succeed.
  const cpu = await callModel(serve.url, '/svc/a', 'on-cpu', { x });
  expect(cpu.status, JSON.stringify(cpu.body)).toBe(200);
  expect(cpu.body.outputs.y.data).toEqual([6, 6, 6, 6]);
  const host = await callModel(serve.url, '/svc/b', 'on-host', { x });
  expect(host.status, JSON.stringify(host.body)).toBe(200);
  expect(host.body.outputs.y.data).toEqual([8, 8, 8, 8]); // stable → 1.0.0 (bias 7), not latest
  expect(host.body.version).toBe('2');

  expect(await (await fetch(`${serve.url}/v1/models`)).json()).toEqual(modelsBefore);
  const record = (await (await fetch(`${serve.url}/v1/models/on-host`)).json()) as { aliases: Record<string, string> };
  expect(record.aliases).toEqual({ latest: '1.1.0', stable: '1.0.0' });
  const r = await cli(['rollback', 'svc', '--edge', serve.url]);
  expect(r.code, r.stderr).toBe(0);
  expect(((await (await fetch(`${serve.url}/svc/v`)).json()) as { version: string }).version).toBe('1');
  console.log(`edgenn serve kill -9: children gone ${orphanMs} ms after the kill; restarted and ready (2 models warm) in ${readyMs} ms; statuses while starting: ${[...new Set(statuses)].join(',')}`);
}, 180_000);
