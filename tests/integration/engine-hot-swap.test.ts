// Hot swap: while clients call `add` concurrently, v2 is loaded and warmed, the route moves to it,
// and v1 drains then unloads. No request fails; every answer comes from v1 (x+1) or v2 (x+2).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addModel } from '../fixtures/onnx-models.ts';
import { createModelManager } from '../../model-host/engine/manager.ts';
import { createOrtBackend } from '../../model-host/engine/ort-backend.ts';
import { createModelDir, type ModelDir } from './engine-fixtures.ts';

let models: ModelDir;
beforeAll(() => {
  models = createModelDir();
});
afterAll(() => models.cleanup());

it('moves traffic from v1 to v2 with zero failed requests', async () => {
  const manager = createModelManager({ backend: createOrtBackend(), blobs: models, memoryBudgetBytes: 1 << 30, batching: { maxQueueDelayUs: 500 } });
  try {
    const v1 = await models.add('add', '1.0.0', addModel({ bias: 1 }));
    const v2 = await models.add('add', '2.0.0', addModel({ bias: 2 }));
    await manager.ensure(v1, { pin: true });
    await manager.route('add', '', '1.0.0');

    const seen = { v1: 0, v2: 0, wrong: 0, failed: [] as string[] };
    let swapped = false;
    let afterSwapFromV1 = 0;
    const client = async (id: number) => {
      for (let i = 0; i < 400 && !(swapped && seen.v2 > 200); i++) {
        const x = id * 1000 + i;
        const gotBeforeSwap = swapped;
        try {
          const out = await manager.get({ name: 'add' }).infer({ x: { type: 'FP32', dims: [1, 4], data: new Float32Array(4).fill(x) } });
          const d = (out.y!.data as Float32Array)[0]! - x;
          if (d === 1) {
            seen.v1++;
            if (gotBeforeSwap) afterSwapFromV1++;
          } else if (d === 2) seen.v2++;
          else seen.wrong++;
        } catch (err) {
          seen.failed.push(String(err));
        }
      }
    };
    const clients = Array.from({ length: 6 }, (_, i) => client(i));
    // Swap while the clients run: load and warm v2 beside v1, then move the route.
    await new Promise((r) => setTimeout(r, 20));
    await manager.ensure(v2, { pin: true });
    const drained = manager.route('add', '', '2.0.0');
    swapped = true;
    await drained;
    expect(manager.status().find((s) => s.version === '1.0.0')!.state).toBe('unloaded');
    await Promise.all(clients);

    expect(seen.failed).toEqual([]);
    expect(seen.wrong).toBe(0);
    expect(seen.v1).toBeGreaterThan(0);
    expect(seen.v2).toBeGreaterThan(0);
    expect(afterSwapFromV1).toBe(0); // requests that started after the route moved all reached v2
    expect(manager.get({ name: 'add' }).manifest.version).toBe('2.0.0');
  } finally {
    await manager.close();
  }
});
