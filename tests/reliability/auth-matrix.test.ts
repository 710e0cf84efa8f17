// The auth matrix, built by enumerating the registry app's own routes (`app.routes`): every write
// method on every path the app serves refuses a missing or wrong token with 401 and changes nothing;
// reads stay open unless `requireTokenForReads`. A new route that forgets auth fails this test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { addModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, type TestRegistry } from '../integration/registry-harness.ts';
import { snapshotStore } from './harness.ts';

let open: TestRegistry;
let closed: TestRegistry;
let digest: string;
beforeAll(async () => {
  open = await startTestRegistry();
  closed = await startTestRegistry({ requireTokenForReads: true });
  for (const h of [open, closed]) {
    const r = await h.publish('guarded', '1.0.0', addModel());
    expect(r.status).toBe(201);
    digest = r.body.manifest.digest;
    expect((await h.json('/v1/models/guarded/aliases/stable', { method: 'PUT', headers: h.auth, body: '{"version":"1.0.0"}' })).status).toBe(200);
  }
});
afterAll(async () => {
  await open?.close();
  await closed?.close();
});

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;
const READ_METHODS = new Set(['GET', 'HEAD']);

/** A concrete URL for a route pattern, its parameters filled with things that exist. */
function concrete(pattern: string): string {
  const values: Record<string, string> = { name: 'guarded', version: '1.0.0', alias: 'stable', ref: 'guarded@latest', digest };
  return pattern.replace(/:([A-Za-z_]+)\??(\{[^}]*\})?/g, (_m, p: string) => values[p] ?? 'x').replace(/\*/g, 'guarded');
}

interface RouteRow {
  method: string;
  pattern: string;
  url: string;
}

/** Every (method, path) the app declares, plus every write method on every path it serves. */
function matrix(app: Hono): { writes: RouteRow[]; reads: RouteRow[] } {
  const patterns = [...new Set(app.routes.map((r) => r.path))];
  const writes: RouteRow[] = [];
  for (const pattern of patterns) for (const method of WRITE_METHODS) writes.push({ method, pattern, url: concrete(pattern) });
  const reads = app.routes.filter((r) => READ_METHODS.has(r.method)).map((r) => ({ method: r.method, pattern: r.path, url: concrete(r.path) }));
  return { writes, reads };
}

const BAD_CREDENTIALS: Array<[string, (token: string) => Record<string, string>]> = [
  ['no Authorization header', () => ({})],
  ['a wrong token', () => ({ authorization: 'Bearer wrong-token' })],
  ['an empty Bearer', () => ({ authorization: 'Bearer ' })],
  ['the token with a suffix', (t) => ({ authorization: `Bearer ${t}x` })],
  ['the token as Basic', (t) => ({ authorization: `Basic ${t}` })],
  ['the token in another header', (t) => ({ 'x-api-key': t, cookie: `token=${t}` })],
];

async function call(app: Hono, row: RouteRow, headers: Record<string, string>, query = ''): Promise<{ status: number; body: any }> {
  const write = !READ_METHODS.has(row.method);
  const res = await app.request(`${row.url}${query}`, { method: row.method, headers: { 'content-type': 'application/json', ...headers }, ...(write ? { body: row.method === 'DELETE' ? null : '{"version":"1.0.0"}' } : {}) });
  const text = res.headers.get('content-type')?.includes('json') ? await res.text() : (await res.body?.cancel(), '');
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body };
}

describe('registry routes', () => {
  it('are enumerated from the app, write routes included', () => {
    const { writes, reads } = matrix(open.registry.app);
    const declared = open.registry.app.routes.filter((r) => !READ_METHODS.has(r.method) && r.method !== 'ALL').map((r) => `${r.method} ${r.path}`);
    // The known writes are there (and would be tested by any name they get later).
    expect(declared).toEqual(expect.arrayContaining(['PUT /v1/models/:name/versions/:version', 'DELETE /v1/models/:name/versions/:version', 'PUT /v1/models/:name/aliases/:alias']));
    for (const d of declared) expect(writes.some((w) => `${w.method} ${w.pattern}` === d)).toBe(true);
    expect(reads.length).toBeGreaterThanOrEqual(6);
  });

  it.each(BAD_CREDENTIALS)('refuse every write with %s (401, nothing changes)', async (_label, creds) => {
    for (const h of [open, closed]) {
      const before = await snapshotStore(h.dataDir);
      const rows = matrix(h.registry.app).writes;
      for (const row of rows) {
        for (const query of ['', `?token=${h.token}&force=true`]) {
          const r = await call(h.registry.app, row, creds(h.token), query);
          expect(r.status, `${row.method} ${row.url}${query}`).toBe(401);
          expect(r.body.error.code).toBe('unauthorized');
          expect(JSON.stringify(r.body)).not.toContain(h.token);
        }
      }
      expect(await snapshotStore(h.dataDir)).toEqual(before);
    }
  });

  it('serve every read route without a token by default', async () => {
    for (const row of matrix(open.registry.app).reads) {
      const r = await call(open.registry.app, row, {});
      expect([401, 403], `${row.method} ${row.url} → ${r.status}`).not.toContain(r.status);
      expect(r.status, `${row.method} ${row.url}`).toBeLessThan(500);
    }
  });

  it('refuse every read route without the right token when requireTokenForReads is set', async () => {
    for (const row of matrix(closed.registry.app).reads) {
      for (const [label, creds] of BAD_CREDENTIALS) {
        const r = await call(closed.registry.app, row, creds(closed.token));
        expect(r.status, `${row.method} ${row.url} with ${label}`).toBe(401);
      }
      const ok = await call(closed.registry.app, row, closed.auth);
      expect([401, 403], `${row.method} ${row.url} with the token`).not.toContain(ok.status);
    }
  });

  it('let the right token through on every write route (so the 401s above are auth, not routing)', async () => {
    const rows = matrix(open.registry.app).writes.filter((w) => open.registry.app.routes.some((r) => r.method === w.method && r.path === w.pattern));
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      // A copy of the model under another name so DELETE has something of its own to remove.
      const url = row.url.replace('/guarded/', '/spare/');
      if (row.method !== 'PUT' || !row.pattern.endsWith(':version')) await open.publish('spare', '1.0.0', addModel());
      const r = await call(open.registry.app, { ...row, url }, open.auth);
      expect([401, 403], `${row.method} ${url} → ${r.status} ${JSON.stringify(r.body)}`).not.toContain(r.status);
    }
  });
});

it('catches a route added without auth (the matrix is not vacuous)', async () => {
  const extra = await startTestRegistry();
  try {
    extra.registry.app.post('/v1/admin/rebuild', (c) => c.json({ rebuilt: true }));
    const leaks: string[] = [];
    for (const row of matrix(extra.registry.app).writes) {
      const r = await call(extra.registry.app, row, {});
      if (r.status !== 401) leaks.push(`${row.method} ${row.pattern} → ${r.status}`);
    }
    expect(leaks).toContain('POST /v1/admin/rebuild → 200');
  } finally {
    await extra.close();
  }
});
