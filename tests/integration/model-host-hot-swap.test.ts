// Hot swap through the repository API: while clients hammer `adder`, version 2 is loaded and
// warmed beside version 1, the name moves to it once ready, version 1 drains and unloads, and
// not one request fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addModel } from '../fixtures/onnx-models.ts';
import { startInProcessHost, startTestRegistry, tempDir, type InProcessHost, type TestRegistry } from '../../model-host/test-fixtures.ts';

let tmp: ReturnType<typeof tempDir>;
let registry: TestRegistry;
let host: InProcessHost;

beforeAll(async () => {
  tmp = tempDir('mh-swap');
  registry = await startTestRegistry(tmp.dir);
  await registry.publish(addModel({ width: 4, bias: 1 }), { name: 'adder', version: '1.0.0' });
  host = await startInProcessHost({ dir: tmp.dir, registryUrl: registry.url, batching: { maxBatchSize: 4, maxQueueDelayUs: 500, maxQueue: 256 } });
  await host.preload(['adder']);
});

afterAll(async () => {
  await host?.close();
  await registry?.close();
  tmp?.cleanup();
});

describe('model-host hot swap', () => {
  it('moves the name to a new version under concurrent load with zero failures', async () => {
    await registry.publish(addModel({ width: 4, bias: 2 }), { name: 'adder', version: '2.0.0' });
    const seen: number[] = [];
    const failures: unknown[] = [];
    let swapped = false;
    let afterSwap: number[] = [];
    const worker = async (w: number) => {
      // Bounded: stops a few rounds after the swap, or after 2000 requests whatever happens.
      for (let i = 0, extra = 0; i < 2000 && extra < 20; i++) {
        const wasSwapped = swapped;
        try {
          const out = await host.client.infer('adder', '', { x: { type: 'FP32', dims: [1, 4], data: Float32Array.from([w, w, w, w]) } });
          const bias = (out.y!.data as Float32Array)[0]! - w;
          seen.push(bias);
          if (wasSwapped) afterSwap.push(bias);
        } catch (err) {
          failures.push(err);
        }
        if (swapped) extra++;
      }
    };
    const load = (async () => {
      while (seen.length < 50) await new Promise((r) => setTimeout(r, 5));
      await host.client.load('adder', '2.0.0');
      swapped = true;
    })();
    await Promise.all([load, ...Array.from({ length: 6 }, (_, w) => worker(w))]);
    expect(failures).toEqual([]);
    expect(new Set(seen)).toEqual(new Set([1, 2]));
    expect(afterSwap.length).toBeGreaterThan(0);
    expect(new Set(afterSwap)).toEqual(new Set([2]));
    // Version 1 drains and unloads once nothing routes to it.
    for (let i = 0; i < 100 && host.manager.status().some((s) => s.version === '1.0.0' && s.state !== 'unloaded'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(host.manager.status().filter((s) => s.version === '1.0.0' && s.state !== 'unloaded')).toEqual([]);
  });
});
