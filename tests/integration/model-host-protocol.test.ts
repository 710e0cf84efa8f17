// Every KServe v2 endpoint of the model-host, over a real Unix socket with real ONNX Runtime:
// JSON and binary tensors give the same results; errors keep the protocol's shape plus our code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addModel, scaleModel, twoOutputModel } from '../fixtures/onnx-models.ts';
import { startInProcessHost, startTestRegistry, tempDir, type InProcessHost, type TestRegistry } from '../../model-host/test-fixtures.ts';
import { decodeInferResponse, encodeInferRequest } from '../../model-host/v2/codec.ts';

let tmp: ReturnType<typeof tempDir>;
let registry: TestRegistry;
let host: InProcessHost;

const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

beforeAll(async () => {
  tmp = tempDir('mh-protocol');
  registry = await startTestRegistry(tmp.dir);
  await registry.publish(addModel({ width: 4, bias: 1 }), { name: 'adder', version: '1.0.0' });
  await registry.publish(scaleModel(3), { name: 'scaler', version: '1.0.0' });
  host = await startInProcessHost({ dir: tmp.dir, registryUrl: registry.url, maxBodyBytes: 1024 * 1024 });
});

afterAll(async () => {
  await host?.close();
  await registry?.close();
  tmp?.cleanup();
});

async function get(path: string) {
  const res = await host.client.request('GET', path);
  return { status: res.status, headers: res.headers, json: JSON.parse(res.body.toString()) };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await host.client.request('POST', path, typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  return { status: res.status, headers: res.headers, body: res.body, json: () => JSON.parse(res.body.toString()) };
}

describe('model-host v2 protocol', () => {
  it('is live at once and ready only after its preloads are warm', async () => {
    expect((await get('/v2/health/live')).status).toBe(200);
    const before = await get('/v2/health/ready');
    expect(before.status).toBe(503);
    expect(before.headers['retry-after']).toBe('1');
    await host.preload(['adder', 'scaler@1.0.0']);
    expect((await get('/v2/health/ready')).status).toBe(200);
    expect(await host.client.ready()).toBe(true);
  });

  it('describes the server and each model with protocol datatypes, platform, provider and state', async () => {
    const server = await get('/v2');
    expect(server.json.extensions).toContain('binary_tensor_data');
    for (const path of ['/v2/models/adder', '/v2/models/adder/versions/1.0.0']) {
      const meta = await get(path);
      expect(meta.status).toBe(200);
      expect(meta.json).toMatchObject({ name: 'adder', version: '1.0.0', platform: 'onnxruntime_onnx', provider: 'cpu', state: 'ready' });
      expect(meta.json.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 4] }]);
      expect(meta.json.outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [-1, 4] }]);
    }
    const scaler = await get('/v2/models/scaler');
    expect(scaler.json.inputs).toContainEqual({ name: 'k', datatype: 'INT64', shape: [] });
    expect((await get('/v2/models/adder/ready')).status).toBe(200);
    expect((await get('/v2/models/adder/versions/1.0.0/ready')).status).toBe(200);
  });

  it('infers with JSON tensors and with binary tensors, with equal results', async () => {
    const json = await post('/v2/models/adder/infer', { id: 'j1', inputs: [{ name: 'x', shape: [2, 4], datatype: 'FP32', data: Array.from(x) }] });
    expect(json.status).toBe(200);
    const jb = json.json();
    expect(jb).toMatchObject({ model_name: 'adder', model_version: '1.0.0', id: 'j1' });
    expect(jb.outputs[0]).toMatchObject({ name: 'y', datatype: 'FP32', shape: [2, 4] });
    expect(jb.outputs[0].data).toEqual(Array.from(x, (v) => v + 1));

    const enc = encodeInferRequest({ x: { type: 'FP32', dims: [2, 4], data: x } });
    const bin = await post('/v2/models/adder/versions/1.0.0/infer', enc.body, enc.headers);
    expect(bin.status).toBe(200);
    expect(bin.headers['content-type']).toBe('application/octet-stream');
    const decoded = decodeInferResponse(bin.body, bin.headers['inference-header-content-length'] as string);
    expect(Array.from(decoded.outputs.y!.data as Float32Array)).toEqual(jb.outputs[0].data);

    const viaClient = await host.client.infer('adder', '', { x: { type: 'FP32', dims: [2, 4], data: x } });
    expect(viaClient.y).toEqual(decoded.outputs.y);

    // Mixed: JSON input, binary output for the one output asked for.
    const mixed = await post('/v2/models/scaler/infer', {
      inputs: [
        { name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
        { name: 'k', shape: [], datatype: 'INT64', data: [3] },
      ],
      outputs: [{ name: 'y', parameters: { binary_data: true } }],
    });
    expect(mixed.status).toBe(200);
    const m = decodeInferResponse(mixed.body, mixed.headers['inference-header-content-length'] as string);
    expect(Array.from(m.outputs.y!.data as Float32Array)).toEqual([3, 6, 9]);
  });

  it('answers bad requests with the protocol error shape, our code and the right status', async () => {
    const cases: Array<[string, Awaited<ReturnType<typeof post>>, number, string]> = [];
    const enc = encodeInferRequest({ x: { type: 'FP32', dims: [2, 4], data: x } });
    const hl = enc.headers['inference-header-content-length']!;
    cases.push(['header length beyond the body', await post('/v2/models/adder/infer', enc.body, { ...enc.headers, 'inference-header-content-length': String(enc.body.byteLength + 10) }), 400, 'invalid-argument']);
    cases.push(['truncated binary data', await post('/v2/models/adder/infer', enc.body.subarray(0, enc.body.byteLength - 4), { ...enc.headers, 'inference-header-content-length': hl }), 400, 'invalid-argument']);
    cases.push(['not JSON', await post('/v2/models/adder/infer', '{nope'), 400, 'invalid-encoding']);
    cases.push(['wrong shape for the model', await post('/v2/models/adder/infer', { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }), 400, 'invalid-argument']);
    cases.push(['unsupported datatype', await post('/v2/models/adder/infer', { inputs: [{ name: 'x', shape: [1], datatype: 'BYTES', data: ['a'] }] }), 422, 'unsupported-operation']);
    cases.push(['unknown model', await post('/v2/models/nope/infer', { inputs: [] }), 404, 'not-found']);
    cases.push(['unknown version', await post('/v2/models/adder/versions/9.9.9/infer', { inputs: [] }), 404, 'not-found']);
    cases.push(['bad deadline header', await post('/v2/models/adder/infer', { inputs: [] }, { 'x-edgenn-deadline-ms': 'soon' }), 400, 'invalid-argument']);
    cases.push(['oversized body', await post('/v2/models/adder/infer', Buffer.alloc(2 * 1024 * 1024, 32)), 413, 'too-large']);
    for (const [what, res, status, code] of cases) {
      expect({ what, status: res.status }).toEqual({ what, status });
      const body = res.json();
      expect({ what, code: body.code, retryable: body.retryable }).toEqual({ what, code, retryable: false });
      expect(typeof body.error).toBe('string');
    }
    await expect(host.client.infer('nope', '', {})).rejects.toMatchObject({ code: 'not-found', retryable: false });
  });

  it('lists, loads (with a version parameter) and unloads through the repository extension', async () => {
    await registry.publish(addModel({ width: 4, bias: 5 }), { name: 'adder', version: '2.0.0' });
    const index = await post('/v2/repository/index', {});
    expect(index.json().map((m: { name: string; version: string; state: string }) => `${m.name}@${m.version}:${m.state}`).sort()).toEqual(['adder@1.0.0:READY', 'scaler@1.0.0:READY']);

    const load = await post('/v2/repository/models/adder/load', { parameters: { version: '2.0.0' } });
    expect(load.status).toBe(200);
    const v2 = await host.client.infer('adder', '2.0.0', { x: { type: 'FP32', dims: [1, 4], data: Float32Array.from([0, 0, 0, 0]) } });
    expect(Array.from(v2.y!.data as Float32Array)).toEqual([5, 5, 5, 5]);
    const models = await host.client.models();
    expect(models.find((m) => m.version === '2.0.0')).toMatchObject({ name: 'adder', state: 'ready', provider: 'cpu' });

    const missing = await post('/v2/repository/models/adder/load', { parameters: { version: '7.0.0' } });
    expect(missing.status).toBe(404);
    expect(missing.json().code).toBe('not-found');

    expect((await post('/v2/repository/models/scaler/unload', {})).status).toBe(200);
    const gone = await post('/v2/models/scaler/infer', { inputs: [] });
    expect([404, 503]).toContain(gone.status);
    await host.client.load('scaler', '1.0.0');
    expect((await get('/v2/models/scaler/ready')).status).toBe(200);
  });

  it('computes and sends only the outputs a request names (client and raw v2), refusing unknown names', async () => {
    await registry.publish(twoOutputModel(4), { name: 'twin', version: '1.0.0' });
    await host.client.load('twin', '1.0.0');
    const inputs = () => ({ x: { type: 'FP32' as const, dims: [2, 4], data: x.slice() } });
    expect(Object.keys(await host.client.infer('twin', '1.0.0', inputs())).sort()).toEqual(['y', 'z']);
    const z = await host.client.infer('twin', '1.0.0', inputs(), { outputs: ['z'] });
    expect(Object.keys(z)).toEqual(['z']);
    expect(Array.from(z.z!.data as Float32Array)).toEqual(Array.from(x, (v) => v * 2));

    const raw = await post('/v2/models/twin/infer', { inputs: [{ name: 'x', shape: [2, 4], datatype: 'FP32', data: Array.from(x) }], outputs: [{ name: 'y' }] });
    expect(raw.status).toBe(200);
    expect(raw.json().outputs.map((o: { name: string }) => o.name)).toEqual(['y']);

    const bad = await post('/v2/models/twin/infer', { inputs: [{ name: 'x', shape: [2, 4], datatype: 'FP32', data: Array.from(x) }], outputs: [{ name: 'mask' }] });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'invalid-argument', retryable: false, error: expect.stringMatching(/'mask'.*'y', 'z'/) });
    await expect(host.client.infer('twin', '1.0.0', inputs(), { outputs: ['mask'] })).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringContaining("'y', 'z'") });
  });

  it('exposes Prometheus metrics per model', async () => {
    const res = await host.client.request('GET', '/metrics');
    const text = res.body.toString();
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(text).toMatch(/edgenn_model_host_requests_total\{model="adder",version="1.0.0",code="ok"\} [1-9]/);
    expect(text).toMatch(/edgenn_model_host_request_failures_total\{model="adder",version="1.0.0",code="invalid-argument"\} [1-9]/);
    expect(text).toMatch(/edgenn_model_host_request_duration_seconds_bucket\{le="[^"]+",model="adder",version="1.0.0"\}/);
    expect(text).toMatch(/edgenn_model_host_load_seconds_count\{model="adder",version="2.0.0"\} 1/);
    expect(text).toMatch(/edgenn_model_host_resident_bytes\{model="adder",version="2.0.0"\} [1-9]\d*/);
    expect(text).toMatch(/edgenn_model_host_model_provider\{model="adder",version="2.0.0",provider="cpu"\} 1/);
  });
});
