// Live status comes from the edge; the page shows it when given and never breaks without it: a
// failing or hanging provider renders "status unknown" after a bounded wait.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDocsPages } from './routes.tsx';
import type { LiveModelStatus } from './live-status.ts';
import { HTML, openCatalog, type TestCatalog } from './test-catalog.ts';

let catalog: TestCatalog;
beforeAll(async () => {
  catalog = await openCatalog();
});
afterAll(() => catalog?.close());

it('shows live state and placement when known, and "status unknown" when the provider fails or hangs', async () => {
  const live: LiveModelStatus[] = [
    { name: 'adder', version: '1.2.0', state: 'warming', where: 'cpu-worker' },
    { name: 'gain', version: '0.1.0', state: 'ready', where: 'model-host-cpu', memoryBytes: 3 * 1024 * 1024 },
  ];
  const known = await (await createDocsPages({ store: catalog.registry.store, status: async () => live }).request('/models/gain', { headers: HTML })).text();
  expect(known).toContain('<span class="badge state-ready">ready</span>');
  expect(known).toContain('model-host CPU (fallback)');
  expect(known).toContain('3.0 MiB');

  const failing = createDocsPages({ store: catalog.registry.store, status: () => Promise.reject(new Error('edge down')) });
  const res = await failing.request('/', { headers: HTML });
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('status unknown');
  const hanging = createDocsPages({ store: catalog.registry.store, status: () => new Promise(() => undefined), statusTimeoutMs: 50 });
  const html = await (await hanging.request('/models/adder', { headers: HTML })).text();
  expect(html).toContain('status unknown');
  // Without live status, placement is planned from the manifest: adder is small and `auto`.
  expect(html).toContain('CPU worker (placement: auto)');
});
