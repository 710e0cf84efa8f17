// A request deadline (x-edgenn-deadline-ms) is kept: an answer that cannot come in time is a 504
// `timeout` at the deadline, not a late success, and the model keeps serving others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addModel } from '../fixtures/onnx-models.ts';
import { gatedBackend, startInProcessHost, startTestRegistry, tempDir, type InProcessHost, type TestRegistry } from '../../model-host/test-fixtures.ts';
import { encodeInferRequest } from '../../model-host/v2/codec.ts';

let tmp: ReturnType<typeof tempDir>;
let registry: TestRegistry;
let host: InProcessHost;
let gate: ReturnType<typeof gatedBackend>;

beforeAll(async () => {
  tmp = tempDir('mh-deadline');
  registry = await startTestRegistry(tmp.dir);
  await registry.publish(addModel({ width: 4 }), { name: 'adder', version: '1.0.0' });
  // Runs are held at a gate, so requests sent meanwhile wait in the queue past their deadlines.
  host = await startInProcessHost({ dir: tmp.dir, registryUrl: registry.url, batching: { maxBatchSize: 64, maxQueueDelayUs: 1_000_000, maxQueue: 64 }, wrapBackend: (b) => (gate = gatedBackend(b)).backend });
  await host.preload(['adder']);
});

afterAll(async () => {
  await host?.close();
  await registry?.close();
  tmp?.cleanup();
});

describe('model-host deadlines', () => {
  it('answers 504 timeout when the deadline passes first', async () => {
    gate.hold();
    // Takes the model's one slot and waits at the gate; the requests below queue behind it.
    const blocker = host.client.infer('adder', '', { x: { type: 'FP32', dims: [2, 4], data: new Float32Array(8) } });
    const enc = encodeInferRequest({ x: { type: 'FP32', dims: [1, 4], data: new Float32Array(4) } });
    const res = await host.client.request('POST', '/v2/models/adder/infer', enc.body, { ...enc.headers, 'x-edgenn-deadline-ms': '100' });
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body.toString())).toMatchObject({ code: 'timeout', retryable: true });
    await expect(host.client.infer('adder', '', { x: { type: 'FP32', dims: [1, 4], data: new Float32Array(4) } }, { deadline: Date.now() + 100 })).rejects.toMatchObject({ code: 'timeout' });
    gate.release();
    expect((await blocker).y!.dims).toEqual([2, 4]);
  });

  it('still answers requests whose deadline leaves room', async () => {
    const out = await host.client.infer('adder', '', { x: { type: 'FP32', dims: [1, 4], data: new Float32Array(4) } }, { deadline: Date.now() + 30_000 });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1, 1, 1, 1]);
  });
});
