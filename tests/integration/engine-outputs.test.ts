// InferOptions.outputs through the engine in both placements (ONNX Runtime in process, and the
// edge's piscina CPU workers): only the outputs asked for come back; unknown names are refused.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NamedTensors } from '../../wit/types.ts';
import { twoOutputModel } from '../fixtures/onnx-models.ts';
import { createModelManager, type ModelManager } from '../../model-host/engine/manager.ts';
import { createOrtBackend } from '../../model-host/engine/ort-backend.ts';
import { createCpuPool, type CpuPool } from '../../edge/cpu-pool.ts';
import { createModelDir, type ModelDir } from './engine-fixtures.ts';

let models: ModelDir;
let pool: CpuPool;
const managers: [string, ModelManager][] = [];

beforeAll(async () => {
  models = createModelDir();
  pool = createCpuPool({ workers: 1, intraOpNumThreads: 1 });
  managers.push(['in process', createModelManager({ backend: createOrtBackend({ intraOpNumThreads: 1 }), blobs: models, memoryBudgetBytes: 1 << 30 })]);
  managers.push(['cpu workers', createModelManager({ backend: pool, blobs: models, memoryBudgetBytes: 1 << 30 })]);
  const m = await models.add('two', '1.0.0', twoOutputModel(4));
  for (const [, manager] of managers) await manager.ensure(m);
});

afterAll(async () => {
  for (const [, manager] of managers) await manager.close();
  await pool?.close();
  models?.cleanup();
});

const x = (): NamedTensors => ({ x: { type: 'FP32', dims: [2, 4], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) } });

it('returns only the outputs in the fetch list, with the right values, in both placements', async () => {
  for (const [where, manager] of managers) {
    const model = manager.get({ name: 'two' });
    const all = await model.infer(x());
    expect(Object.keys(all).sort(), where).toEqual(['y', 'z']);
    const z = await model.infer(x(), { outputs: ['z'] });
    expect(Object.keys(z), where).toEqual(['z']);
    expect(z.z!.dims).toEqual([2, 4]);
    expect(Array.from(z.z!.data as Float32Array)).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
    const y = await model.infer(x(), { outputs: ['y'] });
    expect(Object.keys(y), where).toEqual(['y']);
    expect(Array.from(y.y!.data as Float32Array)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  }
});

it('refuses an unknown output name with invalid-argument naming the model outputs, before running', async () => {
  for (const [where, manager] of managers) {
    const model = manager.get({ name: 'two' });
    await expect(model.infer(x(), { outputs: ['mask'] }), where).rejects.toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/'mask'.*'y', 'z'/) });
    await expect(model.infer(x(), { outputs: [] }), where).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(model.infer(x(), { outputs: ['y', 'y'] }), where).rejects.toMatchObject({ code: 'invalid-argument' });
  }
});
