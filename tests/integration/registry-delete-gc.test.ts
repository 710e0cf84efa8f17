// Deleting a version: refused while a named alias points at it unless forced; `latest` moves down;
// blobs nothing references any more are garbage-collected, shared ones are kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, type TestRegistry } from './registry-harness.ts';

let h: TestRegistry;
beforeAll(async () => {
  h = await startTestRegistry();
});
afterAll(() => h?.close());

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blobs = async () => new Set((await readdir(join(h.dataDir, 'registry', 'blobs', 'sha256'))).map((x) => `sha256:${x}`));
const del = (version: string, query = '') => h.json(`/v1/models/dg/versions/${version}${query}`, { method: 'DELETE', headers: h.auth });

describe('delete and garbage collection', () => {
  const a = addModel({ bias: 1 });
  const b = addModel({ bias: 2 });

  it('refuses to delete a version a named alias points at', async () => {
    await h.publish('dg', '1.0.0', a, 'alias=stable');
    await h.publish('dg', '2.0.0', b);
    await h.publish('other', '1.0.0', a); // shares a's blob
    const r = await del('1.0.0');
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('conflict');
    expect(r.body.error.message).toContain("'stable'");
    expect(r.body.error.message).toContain('force=true');
    expect((await h.json('/v1/models/dg')).body.versions).toHaveLength(2);
  });

  it('deletes with force, removing the alias, and keeps a blob another model shares', async () => {
    const r = await del('1.0.0', '?force=true');
    expect(r.status).toBe(200);
    expect(r.body.removedAliases).toEqual(['stable']);
    expect((await h.json('/v1/models/dg')).body.aliases).toEqual({ latest: '2.0.0' });
    expect((await blobs()).has(sha(a))).toBe(true);
    expect((await h.json('/v1/models/dg/versions/1.0.0')).status).toBe(404);
  });

  it('moves latest down when the highest version is deleted, and collects its blob', async () => {
    await h.publish('dg', '3.0.0', addModel({ bias: 3 }));
    expect((await h.json('/v1/models/dg')).body.aliases.latest).toBe('3.0.0');
    const r = await del('3.0.0');
    expect(r.status).toBe(200);
    expect(r.body.gc.removed).toBeGreaterThanOrEqual(3); // layer, config, image manifest
    expect((await h.json('/v1/models/dg')).body.aliases).toEqual({ latest: '2.0.0' });
    expect((await blobs()).has(sha(addModel({ bias: 3 })))).toBe(false);
  });

  it('removes the model when its last version goes, and gc takes every unreferenced blob', async () => {
    await del('2.0.0');
    expect((await h.json('/v1/models/dg')).status).toBe(404);
    expect((await blobs()).has(sha(b))).toBe(false);
    // A stray blob (e.g. left by a crash) goes on the next collection.
    const stray = `sha256:${'ab'.repeat(32)}`;
    await writeFile(join(h.dataDir, 'registry', 'blobs', 'sha256', 'ab'.repeat(32)), 'stray');
    expect(await h.registry.store.gc()).toEqual({ removed: 1, bytes: 5 });
    expect((await blobs()).has(stray)).toBe(false);
    // Everything still referenced by `other` is intact.
    const res = await fetch(`${h.url}/v1/models/other/versions/1.0.0/blob`);
    expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(sha(a));
  });

  it('answers 404 for a version that is not there', async () => {
    expect((await del('9.9.9')).body.error.code).toBe('not-found');
  });
});
