// The memory-bounded LRU through the API: loading past the budget evicts the least recently used
// unpinned models (recency includes requests), never a preloaded (pinned) one; a model that cannot
// fit at all is refused with 413. Charges are measured (at least the file size), so the test
// checks the order of evictions, not byte counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { largeModel } from '../fixtures/onnx-models.ts';
import { startInProcessHost, startTestRegistry, tempDir, type InProcessHost, type TestRegistry } from '../../model-host/test-fixtures.ts';

const MiB = 1024 * 1024;
const BUDGET = 180 * MiB;
const NAMES = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'];
let tmp: ReturnType<typeof tempDir>;
let registry: TestRegistry;
let host: InProcessHost;

beforeAll(async () => {
  tmp = tempDir('mh-lru');
  registry = await startTestRegistry(tmp.dir);
  // 8 models of 25 MiB cannot all fit in 180 MiB: evictions must happen.
  for (const name of ['pinned', ...NAMES]) await registry.publish(largeModel(25 * MiB), { name, version: '1.0.0' });
  await registry.publish(largeModel(160 * MiB), { name: 'huge', version: '1.0.0' });
  host = await startInProcessHost({ dir: tmp.dir, registryUrl: registry.url, memoryBudgetBytes: BUDGET });
  await host.preload(['pinned']);
});

afterAll(async () => {
  await host?.close();
  await registry?.close();
  tmp?.cleanup();
});

const x = { x: { type: 'FP32' as const, dims: [1, 4], data: Float32Array.from([1, 2, 3, 4]) } };
const readyNames = async () => (await host.client.models()).filter((m) => m.state === 'ready').map((m) => m.name);

describe('model-host LRU', () => {
  it('evicts the least recently used unpinned models, never the pinned one', async () => {
    /** Unpinned resident models, least recently used first, as the test used them. */
    let lru: string[] = [];
    let evicted = 0;
    for (const name of NAMES) {
      if (lru.length >= 2) {
        // Touch the oldest: it becomes the most recently used and must outlive the others.
        const oldest = lru.shift()!;
        await host.client.infer(oldest, '', x);
        lru.push(oldest);
      }
      await host.client.load(name, '1.0.0');
      lru.push(name);
      const ready = await readyNames();
      expect(ready).toContain('pinned');
      const survivors = lru.filter((n) => ready.includes(n));
      // The survivors are exactly the most recently used ones: evictions took the oldest first.
      expect(survivors).toEqual(lru.slice(lru.length - survivors.length));
      expect(survivors).toContain(name);
      evicted += lru.length - survivors.length;
      lru = survivors;
    }
    expect(evicted).toBeGreaterThan(0);
    const models = await host.client.models();
    expect(models.find((m) => m.name === 'pinned')).toMatchObject({ pinned: true, state: 'ready' });
    expect(models.filter((m) => m.state === 'ready').reduce((a, m) => a + (m.residentBytes ?? 0), 0)).toBeLessThanOrEqual(BUDGET);
    const metrics = (await host.client.request('GET', '/metrics')).body.toString();
    const counted = [...metrics.matchAll(/^edgenn_model_host_evictions_total\{model="([^"]+)"\} (\d+)/gm)];
    expect(counted.reduce((a, m) => a + Number(m[2]), 0)).toBe(evicted);
    expect(counted.map((m) => m[1])).not.toContain('pinned');
    const out = await host.client.infer('pinned', '', x);
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });

  it('refuses a model that cannot fit with 413 too-large, keeping what serves', async () => {
    const res = await host.client.request('POST', '/v2/repository/models/huge/load', '{}', { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
    const body = JSON.parse(res.body.toString());
    expect(body).toMatchObject({ code: 'too-large', retryable: false });
    expect(body.error).toMatch(/memory budget/);
    await expect(host.client.infer('pinned', '', x)).resolves.toBeDefined();
  });
});
