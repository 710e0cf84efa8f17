// The lifecycle path: loading → warming → ready, one shared load for concurrent ensure(), get()
// answering at once (not-found / unavailable) while a model loads, and a failed load kept with its error.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EdgennError } from '../../wit/errors.ts';
import { addModel, unsupportedOpModel } from '../fixtures/onnx-models.ts';
import { createModelManager, type EngineEvent } from '../../model-host/engine/manager.ts';
import { createOrtBackend } from '../../model-host/engine/ort-backend.ts';
import { createModelDir, type ModelDir } from './engine-fixtures.ts';

let models: ModelDir;
beforeAll(() => {
  models = createModelDir();
});
afterAll(() => models.cleanup());

function errorOf(fn: () => unknown): EdgennError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EdgennError);
    return err as EdgennError;
  }
  throw new Error('expected a throw');
}

it('loads, warms and serves a model; get() never waits on a load; a failed load keeps its error', async () => {
  const events: EngineEvent[] = [];
  const manager = createModelManager({ backend: createOrtBackend(), blobs: models, memoryBudgetBytes: 1 << 30, onEvent: (e) => events.push(e) });
  try {
    const m = await models.add('add', '1.0.0', addModel({ bias: 1 }));
    expect(errorOf(() => manager.get({ name: 'add' })).code).toBe('not-found');

    const first = manager.ensure(m, { pin: true });
    const second = manager.ensure(m);
    // Synchronously, while the load is under way: unavailable with Retry-After, no waiting.
    const loading = errorOf(() => manager.get({ name: 'add', version: '1.0.0' }));
    expect(loading.code).toBe('unavailable');
    expect(loading.retryAfter).toBeGreaterThan(0);
    expect(errorOf(() => manager.get({ name: 'add' })).code).toBe('unavailable');
    expect(errorOf(() => manager.route('add', 'stable', '1.0.0')).code).toBe('unavailable');

    const [s1, s2] = await Promise.all([first, second]);
    expect(s1.state).toBe('ready');
    expect(s2).toEqual(s1);
    expect(s1.pinned).toBe(true);
    expect(s1.provider).toBe('cpu');
    expect(s1.residentBytes).toBeGreaterThanOrEqual(m.size);
    expect(models.fetched).toEqual(['add@1.0.0']); // one fetch, one load for two ensure() calls
    expect(events.filter((e) => e.type === 'loaded')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'state').map((e) => (e as { state: string }).state)).toEqual(['loading', 'warming', 'ready']);

    const out = await manager.get({ name: 'add' }).infer({ x: { type: 'FP32', dims: [1, 4], data: Float32Array.of(1, 2, 3, 4) } });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([2, 3, 4, 5]);
    // Inputs are validated before they reach the queue, naming the input.
    await expect(manager.get({ name: 'add' }).infer({ x: { type: 'FP32', dims: [1, 3], data: new Float32Array(3) } })).rejects.toThrow(/input 'x': expected FP32\[batch,4\], got FP32\[1,3\]/);
    expect(errorOf(() => manager.get({ name: 'add', alias: 'stable' })).code).toBe('unavailable');
    await manager.route('add', 'stable', '1.0.0');
    expect(manager.get({ name: 'add', alias: 'stable' }).manifest.version).toBe('1.0.0');
    expect(errorOf(() => manager.get({ name: 'add', version: '9.9.9' })).code).toBe('not-found');

    const bad = await models.add('broken', '1.0.0', unsupportedOpModel());
    await expect(manager.ensure(bad)).rejects.toMatchObject({ code: 'unsupported-operation' });
    const failed = manager.status().find((s) => s.name === 'broken')!;
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toBe('unsupported-operation');
    expect(errorOf(() => manager.get({ name: 'broken' })).code).toBe('unavailable');
    expect(errorOf(() => manager.get({ name: 'broken', version: '1.0.0' })).message).toMatch(/failed to load/);

    // Removing the only route drains and unloads the version; ensure() brings it back fresh.
    await manager.unroute('add', 'stable');
    expect(manager.status().find((s) => s.name === 'add')!.state).toBe('unloaded');
    expect(errorOf(() => manager.get({ name: 'add' })).code).toBe('unavailable');
    expect((await manager.ensure(m)).state).toBe('ready');
    expect(models.fetched.filter((f) => f === 'add@1.0.0')).toHaveLength(2);
    await manager.unload('add', '1.0.0');
    expect(manager.status().find((s) => s.name === 'add')!.state).toBe('unloaded');
    expect(errorOf(() => manager.get({ name: 'add', version: '1.0.0' })).code).toBe('unavailable');
  } finally {
    await manager.close();
  }
});
