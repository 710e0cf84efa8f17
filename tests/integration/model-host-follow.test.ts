// Following the registry: publishing a new version moves `latest`, and a model-host serving the
// bare name loads and warms it beside the old one, then moves to it, under load, with zero failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addModel } from '../fixtures/onnx-models.ts';
import { startInProcessHost, startTestRegistry, tempDir, type InProcessHost, type TestRegistry } from '../../model-host/test-fixtures.ts';

let tmp: ReturnType<typeof tempDir>;
let registry: TestRegistry;
let host: InProcessHost;

beforeAll(async () => {
  tmp = tempDir('mh-follow');
  registry = await startTestRegistry(tmp.dir);
  await registry.publish(addModel({ width: 4, bias: 1 }), { name: 'adder', version: '1.0.0' });
  host = await startInProcessHost({ dir: tmp.dir, registryUrl: registry.url });
  await host.preload(['adder']);
  host.follow();
});

afterAll(async () => {
  await host?.close();
  await registry?.close();
  tmp?.cleanup();
});

describe('model-host following the registry', () => {
  it('moves the bare name to a newly published version once it is warm, with zero failures', async () => {
    const failures: unknown[] = [];
    const biases: number[] = [];
    const perWorker: number[][] = [[], [], [], []];
    let published = false;
    const worker = async (w: number) => {
      // Bounded: 3000 requests at most; stops once the new version has answered 20 times.
      for (let i = 0; i < 3000 && biases.filter((b) => b === 7).length < 20; i++) {
        try {
          const out = await host.client.infer('adder', '', { x: { type: 'FP32', dims: [1, 4], data: Float32Array.from([w, w, w, w]) } });
          const bias = (out.y!.data as Float32Array)[0]! - w;
          biases.push(bias);
          perWorker[w]!.push(bias);
        } catch (err) {
          failures.push(err);
        }
        if (!published) await new Promise((r) => setTimeout(r, 2));
      }
    };
    const publisher = (async () => {
      while (biases.length < 20) await new Promise((r) => setTimeout(r, 5));
      await registry.publish(addModel({ width: 4, bias: 7 }), { name: 'adder', version: '2.0.0' });
      published = true;
    })();
    await Promise.all([publisher, ...Array.from({ length: 4 }, (_, w) => worker(w))]);
    expect(failures).toEqual([]);
    expect(new Set(biases)).toEqual(new Set([1, 7]));
    // Each worker's requests are sequential: once one of them reached the new version, none of its later ones went back.
    for (const seen of perWorker) if (seen.includes(7)) expect(seen.slice(seen.indexOf(7)).every((b) => b === 7)).toBe(true);
    const status = host.manager.status();
    expect(status.find((s) => s.version === '2.0.0')).toMatchObject({ state: 'ready', pinned: true });
  });
});
