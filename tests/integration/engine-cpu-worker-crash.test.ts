// A CPU worker thread that dies is replaced and reloads its models: requests during the fault fail
// only with retryable `unavailable`, and every request after it succeeds, on both workers.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EdgennError } from '../../wit/errors.ts';
import { addModel } from '../fixtures/onnx-models.ts';
import { createModelManager } from '../../model-host/engine/manager.ts';
import { createCpuPool } from '../../edge/cpu-pool.ts';
import { createModelDir, type ModelDir } from './engine-fixtures.ts';

let models: ModelDir;
beforeAll(() => {
  models = createModelDir();
});
afterAll(() => models.cleanup());

it('survives a killed worker', async () => {
  const pool = createCpuPool({ workers: 2, intraOpNumThreads: 1 });
  const manager = createModelManager({ backend: pool, blobs: models, memoryBudgetBytes: 1 << 30, batching: { maxBatchSize: 1 } });
  try {
    await manager.ensure(await models.add('add', '1.0.0', addModel({ bias: 1 })));
    const call = async (x: number) => {
      const out = await manager.get({ name: 'add' }).infer({ x: { type: 'FP32', dims: [1, 4], data: new Float32Array(4).fill(x) } });
      return (out.y!.data as Float32Array)[0]! - x;
    };
    const before = pool.threads()[0]!;
    const during = Array.from({ length: 20 }, (_, i) => call(i).catch((e: unknown) => e));
    await before.terminate();
    const results = await Promise.all(during);
    for (const r of results) {
      if (r instanceof EdgennError) expect(r).toMatchObject({ code: 'unavailable', retryable: true });
      else expect(r).toBe(1);
    }

    for (let i = 0; i < 100 && !(pool.stats()[0]!.replaced === 1 && pool.stats()[0]!.healthy); i++) await new Promise((r) => setTimeout(r, 20));
    expect(pool.stats()[0]).toMatchObject({ replaced: 1, healthy: true });
    expect(pool.threads()[0]).not.toBe(before);

    // Concurrency 2 spreads these over both workers: the replacement must hold the session again.
    const runsBefore = pool.stats()[0]!.runs;
    const after = await Promise.all(Array.from({ length: 40 }, (_, i) => call(100 + i)));
    expect(after).toEqual(new Array(40).fill(1));
    expect(pool.stats()[0]!.runs).toBeGreaterThan(runsBefore);
  } finally {
    await manager.close();
  }
});
