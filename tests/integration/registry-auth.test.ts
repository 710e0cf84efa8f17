// Auth: every write needs the bearer token (missing or wrong → 401, nothing changes); reads are
// open unless the registry is configured to require the token for them too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, type TestRegistry } from './registry-harness.ts';

let open: TestRegistry;
let closed: TestRegistry;
beforeAll(async () => {
  open = await startTestRegistry();
  closed = await startTestRegistry({ requireTokenForReads: true });
  for (const h of [open, closed]) expect((await h.publish('guarded', '1.0.0', addModel())).status).toBe(201);
});
afterAll(async () => {
  await open?.close();
  await closed?.close();
});

const writes: Array<[string, string, () => Uint8Array | string | undefined]> = [
  ['PUT', '/v1/models/guarded/versions/2.0.0', () => addModel({ bias: 5 })],
  ['PUT', '/v1/models/guarded/aliases/stable', () => JSON.stringify({ version: '1.0.0' })],
  ['DELETE', '/v1/models/guarded/versions/1.0.0?force=true', () => undefined],
  ['POST', '/v1/models/guarded/versions/2.0.0/check?size=100', () => undefined],
];
const reads = ['/v1/models', '/v1/models/guarded', '/v1/models/guarded/versions/1.0.0', '/v1/models/guarded/versions/1.0.0/blob', '/v1/resolve/guarded@latest', '/v1/events'];

describe('auth', () => {
  it.each(writes)('%s %s needs the token', async (method, path, body) => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: `Basic ${open.token}` }, { authorization: `Bearer ${open.token}x` }]) {
      const r = await open.json(path, { method, headers, body: body() ?? null });
      expect(r.status, JSON.stringify(headers)).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
      expect(r.body.error.message).toContain('Authorization: Bearer');
      expect(r.headers.get('www-authenticate')).toContain('Bearer');
    }
    const after = await open.json('/v1/models/guarded');
    expect(after.body.versions.map((v: any) => v.version)).toEqual(['1.0.0']);
    expect(after.body.aliases).toEqual({ latest: '1.0.0' });
  });

  it('accepts the right token for writes', async () => {
    const r = await open.json('/v1/models/guarded/aliases/stable', { method: 'PUT', headers: open.auth, body: JSON.stringify({ version: '1.0.0' }) });
    expect(r.status).toBe(200);
  });

  it('serves reads without a token by default', async () => {
    for (const path of reads) {
      const ac = new AbortController();
      const res = await fetch(`${open.url}${path}`, { signal: ac.signal });
      expect(res.status, path).toBe(200);
      ac.abort();
    }
  });

  it('requires the token for reads when configured', async () => {
    for (const path of reads) {
      const r = await closed.json(path);
      expect(r.status, path).toBe(401);
      const ac = new AbortController();
      const ok = await fetch(`${closed.url}${path}`, { headers: closed.auth, signal: ac.signal });
      expect(ok.status, path).toBe(200);
      ac.abort();
    }
  });

  it('never echoes the token', async () => {
    const r = await open.json('/v1/models/guarded/aliases/stable', { method: 'PUT', headers: { authorization: 'Bearer sneaky-secret-value' }, body: '{}' });
    expect(JSON.stringify(r.body)).not.toContain('sneaky-secret-value');
  });
});
