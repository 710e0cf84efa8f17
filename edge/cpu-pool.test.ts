import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NamedTensors } from '../wit/types.ts';
import { createModelManager } from '../model-host/engine/manager.ts';
import { createOrtBackend } from '../model-host/engine/ort-backend.ts';
import { createModelDir, OCR_CLS, type ModelDir } from '../tests/integration/engine-fixtures.ts';
import { createCpuPool } from './cpu-pool.ts';

let models: ModelDir;
beforeAll(() => {
  models = createModelDir();
});
afterAll(() => models.cleanup());

function image(seed: number): NamedTensors {
  let s = seed >>> 0;
  const data = Float32Array.from({ length: 3 * 48 * 192 }, () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 31 - 1));
  return { x: { type: 'FP32', dims: [1, 3, 48, 192], data } };
}
const copy = (t: NamedTensors): NamedTensors => ({ x: { ...t.x!, data: (t.x!.data as Float32Array).slice() } });
const bytes = (o: NamedTensors) => Buffer.from((o['softmax_0.tmp_0']!.data as Float32Array).slice().buffer);

it('gives the same outputs in worker threads as in process, with the model in every worker', async () => {
  const pool = createCpuPool({ workers: 2, intraOpNumThreads: 1 });
  const inWorkers = createModelManager({ backend: pool, blobs: models, memoryBudgetBytes: 1 << 30 });
  const inProcess = createModelManager({ backend: createOrtBackend({ intraOpNumThreads: 1 }), blobs: models, memoryBudgetBytes: 1 << 30 });
  try {
    const m = await models.add('cls', '1.0.0', OCR_CLS);
    const [sw, sp] = await Promise.all([inWorkers.ensure(m), inProcess.ensure(m)]);
    expect(sw.provider).toBe('cpu');
    expect(sw.residentBytes).toBeGreaterThanOrEqual(2 * m.size); // charged for both workers' copies
    expect(sp.state).toBe('ready');
    expect(pool.stats().map((s) => s.models.length)).toEqual([1, 1]);

    const reqs = Array.from({ length: 12 }, (_, i) => image(i + 1));
    const expected = await Promise.all(reqs.map((r) => inProcess.get({ name: 'cls' }).infer(copy(r))));
    const sent = reqs.map(copy);
    const got = await Promise.all(sent.map((r) => inWorkers.get({ name: 'cls' }).infer(r)));
    got.forEach((o, i) => {
      expect(o['softmax_0.tmp_0']!.dims).toEqual([1, 2]);
      expect(bytes(o).equals(bytes(expected[i]!))).toBe(true);
    });

    await inWorkers.unload('cls', '1.0.0');
    expect(pool.stats().map((s) => s.models.length)).toEqual([0, 0]);
  } finally {
    await inWorkers.close();
    await inProcess.close();
  }
});

it('moves input and output buffers between threads instead of copying them', async () => {
  const pool = createCpuPool({ workers: 1, intraOpNumThreads: 1 });
  try {
    const m = await models.add('cls', '1.0.0', OCR_CLS);
    const loaded = await pool.load(m, await models.fetch(m), [1]);
    const input = image(7);
    const data = input.x!.data as Float32Array;
    const out = await loaded.run(input);
    expect(data.byteLength).toBe(0); // detached: the buffer went to the worker
    const y = out['softmax_0.tmp_0']!.data as Float32Array;
    expect(y.byteOffset).toBe(0);
    expect(y.buffer.byteLength).toBe(y.byteLength); // arrived as its own buffer
    await loaded.close();
    await expect(loaded.run(image(1))).rejects.toMatchObject({ code: 'unavailable' });
  } finally {
    await pool.close();
  }
});
