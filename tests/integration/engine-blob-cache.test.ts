// The blob cache against a real registry: the first fetch downloads and verifies, a later process
// reuses the cached file, and a corrupted cached file is detected and fetched again. Then the whole
// lifecycle path: registry → cache → ONNX Runtime → ready → inference.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addModel } from '../fixtures/onnx-models.ts';
import { createRegistryClient } from '../../registry/client.ts';
import { createBlobCache, sha256File } from '../../model-host/engine/blob-cache.ts';
import { createModelManager } from '../../model-host/engine/manager.ts';
import { createOrtBackend } from '../../model-host/engine/ort-backend.ts';
import { startTestRegistry, type TestRegistry } from './registry-harness.ts';

let h: TestRegistry;
let dir: string;
beforeAll(async () => {
  h = await startTestRegistry();
  dir = await mkdtemp(join(tmpdir(), 'edgenn-engine-cache-'));
});
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

it('downloads once, reuses a verified blob, refetches a corrupted one, and feeds the lifecycle', async () => {
  expect((await h.publish('add', '1.0.0', addModel({ bias: 3 }))).status).toBe(201);
  const registry = createRegistryClient({ url: h.url });
  const manifest = await registry.resolve('add@1.0.0');

  const lines: string[] = [];
  const first = createBlobCache({ dir, registry, log: (l) => lines.push(l) });
  const path = await first.fetch(manifest);
  expect(await sha256File(path)).toBe(manifest.digest);
  expect(lines.some((l) => /fetching add@1\.0\.0/.test(l))).toBe(true);
  expect(lines.some((l) => /100%/.test(l))).toBe(true);

  // A new process with the same cache dir: verified and reused, nothing downloaded.
  lines.length = 0;
  expect(await createBlobCache({ dir, registry, log: (l) => lines.push(l) }).fetch(manifest)).toBe(path);
  expect(lines.some((l) => /reused/.test(l))).toBe(true);
  expect(lines.some((l) => /fetching/.test(l))).toBe(false);

  // Corrupt it on disk: the next process notices and fetches a good copy.
  const good = await readFile(path);
  const bad = Buffer.from(good);
  bad[bad.length - 1] ^= 0xff;
  await writeFile(path, bad);
  lines.length = 0;
  const cache = createBlobCache({ dir, registry, log: (l) => lines.push(l) });
  expect(await cache.fetch(manifest)).toBe(path);
  expect(lines.some((l) => /does not match/.test(l))).toBe(true);
  expect((await readFile(path)).equals(good)).toBe(true);

  const manager = createModelManager({ backend: createOrtBackend(), blobs: cache, memoryBudgetBytes: 1 << 30 });
  try {
    expect((await manager.ensure(manifest, { pin: true })).state).toBe('ready');
    const out = await manager.get({ name: 'add' }).infer({ x: { type: 'FP32', dims: [1, 4], data: Float32Array.of(0, 1, 2, 3) } });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([3, 4, 5, 6]);
  } finally {
    await manager.close();
  }
});
