// Concurrent publishes (same model, other models, the same version twice) all land, and
// index.json stays valid: a fresh store opened on the directory sees exactly the same registry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addModel } from '../fixtures/onnx-models.ts';
import { OciLayoutStore } from '../../registry/oci-layout-store.ts';
import { startTestRegistry, type TestRegistry } from './registry-harness.ts';

let h: TestRegistry;
beforeAll(async () => {
  h = await startTestRegistry();
});
afterAll(() => h?.close());

describe('concurrent publishes', () => {
  it('keep index.json valid and complete', async () => {
    const jobs: Array<Promise<{ status: number }>> = [];
    for (let i = 0; i < 8; i++) jobs.push(h.publish(`model-${i}`, '1.0.0', addModel({ bias: i })));
    for (let i = 0; i < 8; i++) jobs.push(h.publish('shared', `1.${i}.0`, addModel({ bias: 100 + i })));
    // The same version and bytes raced four times: one creates it, the others are idempotent.
    for (let i = 0; i < 4; i++) jobs.push(h.publish('race', '1.0.0', addModel({ bias: 7 })));
    const results = await Promise.all(jobs);
    expect(results.slice(0, 16).every((r) => r.status === 201)).toBe(true);
    expect(results.slice(16).map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);

    const dir = join(h.dataDir, 'registry');
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    const refs = index.manifests.map((d: any) => d.annotations['org.opencontainers.image.ref.name']);
    for (let i = 0; i < 8; i++) expect(refs).toContain(`model-${i}:1.0.0`);
    for (let i = 0; i < 8; i++) expect(refs).toContain(`shared:1.${i}.0`);
    expect(refs).toContain('shared:latest');
    expect(refs.filter((r: string) => r === 'race:1.0.0')).toHaveLength(1);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);

    const reopened = new OciLayoutStore(dir);
    await reopened.init();
    expect(await reopened.list()).toEqual(await h.registry.store.list());
    expect((await reopened.get('shared'))!.aliases).toEqual({ latest: '1.7.0' });
  });
});
