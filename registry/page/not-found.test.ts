// An unknown model, version or malformed name is a 404 `not-found` in the one error shape (with the
// caller's request id); a browser gets a page saying the same.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDocsPages } from './routes.tsx';
import { HTML, JSON_ONLY, openCatalog, type TestCatalog } from './test-catalog.ts';

let catalog: TestCatalog;
beforeAll(async () => {
  catalog = await openCatalog();
});
afterAll(() => catalog?.close());

it('answers 404 in the error shape for an unknown model, and a page for browsers', async () => {
  const app = createDocsPages({ store: catalog.registry.store });
  for (const path of ['/models/nope', '/models/..%2Fetc', '/models/adder?version=9.9.9']) {
    const res = await app.request(path, { headers: { ...JSON_ONLY, 'x-request-id': 'req-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('req-123');
    const body = (await res.json()) as { error: { code: string; message: string; retryable: boolean; requestId: string } };
    expect(body.error).toMatchObject({ code: 'not-found', retryable: false, requestId: 'req-123' });
    expect(body.error.message).toMatch(/see the list at \/|its versions are 1\.2\.0, 1\.0\.0/);
  }
  const page = await app.request('/models/nope', { headers: HTML });
  expect(page.status).toBe(404);
  expect(await page.text()).toContain('<h1>Model not found</h1>');
});
