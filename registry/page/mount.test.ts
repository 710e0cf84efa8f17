// The lead mounts the docs pages at `/` of the registry app: the pages answer there, and nothing of
// theirs (request-id, CSP, cache headers) leaks onto the registry API beside them.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Hono } from 'hono';
import { createDocsPages } from './routes.tsx';
import { HTML, JSON_ONLY, openCatalog, type TestCatalog } from './test-catalog.ts';

let catalog: TestCatalog;
beforeAll(async () => {
  catalog = await openCatalog();
});
afterAll(() => catalog?.close());

it('serves / and /models/:name when mounted at / beside the registry API, leaving the API alone', async () => {
  // As the registry mounts it (after its API), and mounted first in front of another app.
  const first = new Hono();
  first.route('/', createDocsPages({ store: catalog.registry.store }));
  first.route('/', catalog.registry.app);
  for (const root of [catalog.registry.app, first]) {
    const index = await root.request('/', { headers: HTML });
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toBeTruthy();
    expect((await root.request('/models/adder', { headers: JSON_ONLY })).status).toBe(200);

    const api = await root.request('/v1/models/adder', { headers: JSON_ONLY });
    expect(api.status).toBe(200);
    expect(api.headers.get('content-security-policy')).toBeNull();
    expect(api.headers.get('vary') ?? '').not.toMatch(/accept/i);
    const { versions } = (await api.json()) as { versions: { digest: string }[] };
    const blob = await root.request(`/v1/blobs/${versions[0]!.digest}`);
    expect(blob.status).toBe(200);
    expect(blob.headers.get('cache-control')).toContain('immutable');
  }
});

it('answers a failing store in the one error shape', async () => {
  const broken = { list: () => Promise.reject(new Error('disk on fire')), get: () => Promise.reject(new Error('disk on fire')), resolve: () => Promise.reject(new Error('disk on fire')) };
  const res = await createDocsPages({ store: broken }).request('/', { headers: HTML });
  expect(res.status).toBe(500);
  expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'unknown', message: 'disk on fire' });
});
