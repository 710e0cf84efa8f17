// Memory: a byte-budget LRU that evicts the least recently used unpinned model, never a pinned one,
// and refuses with too-large (naming the budget) a model that cannot fit, before or after warm-up.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { largeModel, addModel } from '../fixtures/onnx-models.ts';
import { createModelManager, type EngineEvent } from '../../model-host/engine/manager.ts';
import { createOrtBackend } from '../../model-host/engine/ort-backend.ts';
import { createModelDir, sizedByFile, type ModelDir } from './engine-fixtures.ts';

const MiB = 1 << 20;
let models: ModelDir;
beforeAll(() => {
  models = createModelDir();
});
afterAll(() => models.cleanup());

const stateOf = (m: ReturnType<typeof createModelManager>, name: string) => m.status().find((s) => s.name === name)?.state;

it('evicts the least recently used unpinned model, keeps pinned ones, refuses what cannot fit', async () => {
  const events: EngineEvent[] = [];
  const manager = createModelManager({ backend: sizedByFile(createOrtBackend()), blobs: models, memoryBudgetBytes: 3.5 * MiB, onEvent: (e) => events.push(e) });
  try {
    const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map((n) => models.add(n, '1.0.0', largeModel(MiB))));
    await manager.ensure(a!, { pin: true });
    await manager.ensure(b!);
    await manager.ensure(c!);
    manager.get({ name: 'b' }); // b is now more recently used than c
    await manager.ensure(d!);
    await manager.unload('c', '1.0.0').catch(() => {}); // waits for the eviction's drain to finish
    expect(stateOf(manager, 'c')).toBe('unloaded');
    expect(events.filter((e) => e.type === 'evicted').map((e) => (e as { name: string }).name)).toEqual(['c']);
    expect(['a', 'b', 'd'].map((n) => stateOf(manager, n))).toEqual(['ready', 'ready', 'ready']);

    // Pin b and d too: nothing is evictable now, so another model is refused and the rest stay.
    await manager.ensure(b!, { pin: true });
    await manager.ensure(d!, { pin: true });
    await expect(manager.ensure(c!)).rejects.toMatchObject({ code: 'too-large' });
    expect(['a', 'b', 'd'].map((n) => stateOf(manager, n))).toEqual(['ready', 'ready', 'ready']);

    // A file larger than the whole budget is refused before anything is fetched or loaded.
    const huge = await models.add('huge', '1.0.0', largeModel(4 * MiB));
    const fetches = models.fetched.length;
    await expect(manager.ensure(huge)).rejects.toMatchObject({ code: 'too-large', message: expect.stringMatching(/memory budget of 3670016 bytes/) });
    expect(models.fetched.length).toBe(fetches);
    expect(manager.status().find((s) => s.name === 'huge')).toMatchObject({ state: 'failed', error: { code: 'too-large' } });
  } finally {
    await manager.close();
  }
});

it('refuses after warm-up a model whose measured bytes exceed the budget, and unloads it again', async () => {
  const manager = createModelManager({ backend: sizedByFile(createOrtBackend(), 8 * MiB), blobs: models, memoryBudgetBytes: 4 * MiB });
  try {
    const small = await models.add('small', '1.0.0', addModel());
    const err = await manager.ensure(small).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'too-large', message: expect.stringMatching(/holds after warm-up \d+ bytes.*memory budget of 4194304 bytes/) });
    expect(stateOf(manager, 'small')).toBe('failed');
    expect(() => manager.get({ name: 'small' })).toThrow(/failed to load/);
  } finally {
    await manager.close();
  }
});
