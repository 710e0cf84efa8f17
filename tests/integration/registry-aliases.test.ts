// Aliases: `latest` follows the highest version on every publish; named aliases move with
// PUT .../aliases/{alias}, atomically, and only to versions that exist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, type TestRegistry } from './registry-harness.ts';

let h: TestRegistry;
beforeAll(async () => {
  h = await startTestRegistry();
});
afterAll(() => h?.close());

const aliases = async () => (await h.json('/v1/models/al')).body.aliases;
const setAlias = (alias: string, version: unknown) =>
  h.json(`/v1/models/al/aliases/${alias}`, { method: 'PUT', headers: { ...h.auth, 'content-type': 'application/json' }, body: JSON.stringify({ version }) });

describe('aliases', () => {
  it('moves latest to the highest semver on every publish', async () => {
    await h.publish('al', '1.0.0', addModel({ bias: 1 }));
    expect(await aliases()).toEqual({ latest: '1.0.0' });
    await h.publish('al', '2.0.0-rc.1', addModel({ bias: 2 }));
    expect(await aliases()).toEqual({ latest: '2.0.0-rc.1' });
    await h.publish('al', '2.0.0', addModel({ bias: 3 }));
    expect(await aliases()).toEqual({ latest: '2.0.0' });
    // An older version published later does not take latest.
    await h.publish('al', '1.5.0', addModel({ bias: 4 }));
    expect(await aliases()).toEqual({ latest: '2.0.0' });
    expect((await h.json('/v1/models/al')).body.versions.map((v: any) => v.version)).toEqual(['1.0.0', '1.5.0', '2.0.0-rc.1', '2.0.0']);
  });

  it('sets and moves a named alias', async () => {
    const r = await setAlias('stable', '1.5.0');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ name: 'al', alias: 'stable', version: '1.5.0' });
    expect((await h.json('/v1/resolve/al@stable')).body.version).toBe('1.5.0');
    const moved = await setAlias('stable', '2.0.0');
    expect(moved.body.previous).toBe('1.5.0');
    expect((await h.json('/v1/resolve/al@stable')).body.version).toBe('2.0.0');
  });

  it('publishes with an alias in one step', async () => {
    await h.publish('al', '2.1.0', addModel({ bias: 5 }), 'alias=canary');
    expect(await aliases()).toEqual({ canary: '2.1.0', latest: '2.1.0', stable: '2.0.0' });
  });

  it('refuses aliases to missing versions, bad bodies and `latest`', async () => {
    expect((await setAlias('stable', '9.0.0')).body.error.code).toBe('not-found');
    expect((await setAlias('stable', 7)).status).toBe(400);
    expect((await setAlias('stable', 'one')).status).toBe(400);
    expect((await setAlias('latest', '1.0.0')).body.error.message).toContain('managed by the registry');
    expect((await setAlias('Bad', '1.0.0')).status).toBe(400);
    const notJson = await h.json('/v1/models/al/aliases/stable', { method: 'PUT', headers: h.auth, body: 'version=1' });
    expect(notJson.status).toBe(400);
    expect(await aliases()).toEqual({ canary: '2.1.0', latest: '2.1.0', stable: '2.0.0' });
  });

  it('moves many aliases concurrently without losing any', async () => {
    const targets = ['1.0.0', '1.5.0', '2.0.0', '2.1.0'];
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => setAlias(`a${i}`, targets[i % 4])));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const now = await aliases();
    for (let i = 0; i < 12; i++) expect(now[`a${i}`]).toBe(targets[i % 4]);
  });
});
