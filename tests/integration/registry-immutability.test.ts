// Versions are immutable: the same version with other bytes is 409 already-exists; the same bytes
// again is an idempotent 200 that changes nothing (and emits nothing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, type TestRegistry } from './registry-harness.ts';

let h: TestRegistry;
beforeAll(async () => {
  h = await startTestRegistry();
});
afterAll(() => h?.close());

describe('immutable versions', () => {
  const v1 = addModel({ bias: 1 });

  it('refuses other bytes under an existing version with 409', async () => {
    const first = await h.publish('imm', '1.0.0', v1, 'description=first');
    expect(first.status).toBe(201);
    const index = await readFile(join(h.dataDir, 'registry', 'index.json'), 'utf8');
    const r = await h.publish('imm', '1.0.0', addModel({ bias: 2 }));
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('already-exists');
    expect(r.body.error.message).toContain(first.body.manifest.digest);
    expect(r.body.error.message).toContain('new version');
    expect(await readFile(join(h.dataDir, 'registry', 'index.json'), 'utf8')).toBe(index);
    expect((await h.json('/v1/models/imm/versions/1.0.0')).body.digest).toBe(first.body.manifest.digest);
  });

  it('accepts the same bytes again as an idempotent 200 with the original manifest', async () => {
    const lastId = h.registry.events.lastId;
    const again = await h.publish('imm', '1.0.0', v1, 'description=second');
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
    expect(again.body.manifest.description).toBe('first');
    expect(h.registry.events.lastId).toBe(lastId);
    expect((await h.json('/v1/models/imm')).body.versions).toHaveLength(1);
  });

  it('shares one blob between versions with the same bytes', async () => {
    const r = await h.publish('imm', '1.0.1', v1);
    expect(r.status).toBe(201);
    expect(r.body.manifest.digest).toBe((await h.json('/v1/models/imm/versions/1.0.0')).body.digest);
  });
});
