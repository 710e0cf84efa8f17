// End to end: the model-host child dies (SIGKILL). Its supervisor restarts it empty; the edge sees
// the restart and loads the models it routes there again. Meanwhile requests get a retryable 503,
// never a hang or a 500; afterwards the same handler answers correctly again, and ready is 200.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../registry/client.ts';
import { addModel, writeModel } from '../fixtures/onnx-models.ts';
import { TOKEN, callModel, deploy, processesMentioning, startServe, tempDataDir, waitReady, type Serve } from './serve-harness.ts';

const tmp = tempDataDir('mh-restart');
const data = join(tmp.dir, 'data');
let serve: Serve;

beforeAll(async () => {
  serve = await startServe(data);
  const registry = createRegistryClient({ url: serve.url, token: TOKEN });
  await registry.publish(writeModel(join(tmp.dir, 'h.onnx'), addModel({ bias: 4 })), { name: 'hosted', version: '1.0.0', placement: 'gpu' });
  const d = await deploy(serve.url, 'tests/e2e/handlers/infer.ts', ['--name', 'hosted', '--route', '/hosted/*', '--model', 'hosted']);
  expect(d.code, d.stderr).toBe(0);
  await waitReady(serve.url);
}, 240_000);

afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

describe('the model-host restarts', () => {
  it('is reloaded by the edge; requests meanwhile get retryable 503s', async () => {
    const x = { type: 'FP32', dims: [1, 4], data: [1, 2, 3, 4] };
    expect((await callModel(serve.url, '/hosted/x', 'hosted', { x })).status).toBe(200);
    const children = (await processesMentioning(join(data, 'run', 'model-host'))).filter((p) => p.includes('model-host/main.js'));
    expect(children).toHaveLength(1);
    process.kill(Number(children[0]!.split(':')[0]), 'SIGKILL');

    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof callModel>> | undefined;
    // Bounded: 400 tries, 100 ms apart.
    for (let i = 0; i < 400; i++) {
      last = await callModel(serve.url, '/hosted/x', 'hosted', { x });
      statuses.push(last.status);
      if (last.status === 200) break;
      expect(last.body.error?.retryable, JSON.stringify(last.body)).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(last?.status).toBe(200);
    expect(last?.body.outputs.y.data).toEqual([5, 6, 7, 8]);
    await waitReady(serve.url);
  }, 120_000);
});
