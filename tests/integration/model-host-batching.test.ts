// Dynamic batching through HTTP: concurrent requests run together and each gets exactly its own
// rows back (equal to running alone); beyond the queue limit the answer is 503 busy, at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addModel } from '../fixtures/onnx-models.ts';
import { gatedBackend, startInProcessHost, startTestRegistry, tempDir, type InProcessHost, type TestRegistry } from '../../model-host/test-fixtures.ts';
import type { EdgennError } from '../../wit/errors.ts';

let tmp: ReturnType<typeof tempDir>;
let registry: TestRegistry;
let batched: InProcessHost;
let queued: InProcessHost;
let gate: ReturnType<typeof gatedBackend>;
let qgate: ReturnType<typeof gatedBackend>;

beforeAll(async () => {
  tmp = tempDir('mh-batching');
  registry = await startTestRegistry(tmp.dir);
  await registry.publish(addModel({ width: 4, bias: 0.5 }), { name: 'adder', version: '1.0.0' });
  batched = await startInProcessHost({ dir: `${tmp.dir}`, registryUrl: registry.url, batching: { maxBatchSize: 8, maxQueue: 64 }, wrapBackend: (b) => (gate = gatedBackend(b)).backend });
  await batched.preload(['adder']);
});

afterAll(async () => {
  await batched?.close();
  await queued?.close();
  await registry?.close();
  tmp?.cleanup();
});

/** Waits (bounded) until `cond` holds. */
async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting until ${what}`);
}

async function queueDepth(h: InProcessHost): Promise<number> {
  const metrics = (await h.client.request('GET', '/metrics')).body.toString();
  return Number(/edgenn_model_host_queue_depth\{model="adder",version="1.0.0"\} (\d+)/.exec(metrics)?.[1] ?? -1);
}

const row = (i: number, rows: number) => Float32Array.from({ length: rows * 4 }, (_, j) => i * 100 + j);

describe('model-host batching', () => {
  it('batches concurrent requests and returns each its own rows, equal to unbatched results', async () => {
    const n = 24;
    const sizes = Array.from({ length: n }, (_, i) => 1 + (i % 3));
    const alone = [];
    for (let i = 0; i < 3; i++) alone.push(await batched.client.infer('adder', '', { x: { type: 'FP32', dims: [sizes[i]!, 4], data: row(i, sizes[i]!) } }));
    // Runs are held while the requests arrive: the model's one slot is busy, so they queue and batch.
    gate.hold();
    const pending = sizes.map((rows, i) => batched.client.infer('adder', '', { x: { type: 'FP32', dims: [rows, 4], data: row(i, rows) } }));
    await until(async () => (await queueDepth(batched)) === n - 1, 'every request has arrived');
    gate.release();
    const together = await Promise.all(pending);
    together.forEach((out, i) => {
      expect(out.y!.dims).toEqual([sizes[i], 4]);
      expect(Array.from(out.y!.data as Float32Array)).toEqual(Array.from(row(i, sizes[i]!), (v) => v + 0.5));
    });
    for (let i = 0; i < 3; i++) expect(together[i]).toEqual(alone[i]);
    const metrics = (await batched.client.request('GET', '/metrics')).body.toString();
    const count = Number(/edgenn_model_host_batch_requests_count\{model="adder",version="1.0.0"\} (\d+)/.exec(metrics)?.[1]);
    const sum = Number(/edgenn_model_host_batch_requests_sum\{model="adder",version="1.0.0"\} (\d+)/.exec(metrics)?.[1]);
    // 27 requests ran in fewer batches than requests: some ran together.
    expect(sum).toBe(27);
    expect(count).toBeLessThan(sum);
    expect(metrics).toMatch(/edgenn_model_host_batch_rows_sum\{model="adder",version="1.0.0"\} 54/);
    expect(metrics).toMatch(/edgenn_model_host_queue_depth\{model="adder",version="1.0.0"\} \d+/);
  });

  it('refuses requests beyond the queue limit with 503 busy and Retry-After, and serves the rest', async () => {
    queued = await startInProcessHost({ dir: `${tmp.dir}/q`, registryUrl: registry.url, batching: { maxBatchSize: 64, maxQueue: 4 }, wrapBackend: (b) => (qgate = gatedBackend(b)).backend });
    await queued.preload(['adder']);
    // One runs (held at the gate), four queue behind it, the other nineteen find the queue full.
    qgate.hold();
    let refused = 0;
    const pending = Promise.allSettled(Array.from({ length: 24 }, (_, i) => queued.client.infer('adder', '', { x: { type: 'FP32', dims: [1, 4], data: row(i, 1) } }).catch((e: unknown) => (refused++, Promise.reject(e)))));
    await until(() => refused === 19, 'the requests beyond the queue were refused');
    qgate.release();
    const results = await pending;
    const busy = results.filter((r) => r.status === 'rejected');
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(busy.length).toBe(19);
    expect(ok.length).toBe(5);
    for (const r of busy) expect((r as PromiseRejectedResult).reason as EdgennError).toMatchObject({ code: 'busy', retryable: true });
    expect((busy[0] as PromiseRejectedResult).reason.retryAfter).toBeGreaterThan(0);
  });
});
