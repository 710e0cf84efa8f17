// A registry with no models explains how to publish the first one, with this registry's URL.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDocsPages } from './routes.tsx';
import { HTML, JSON_ONLY, openCatalog, type TestCatalog } from './test-catalog.ts';

let catalog: TestCatalog;
beforeAll(async () => {
  catalog = await openCatalog({ empty: true });
});
afterAll(() => catalog?.close());

it('explains how to publish the first model when the registry is empty', async () => {
  const app = createDocsPages({ store: catalog.registry.store });
  const html = await (await app.request('http://registry.test:8787/', { headers: HTML })).text();
  expect(html).toContain('No models published yet');
  expect(html).toContain('edgenn publish model.onnx --name my-model --version 1.0.0');
  expect(html).toContain('--registry http://registry.test:8787');
  expect(html).not.toContain('id="filters"');
  const json = (await (await app.request('/', { headers: JSON_ONLY })).json()) as { models: unknown[]; total: number };
  expect(json).toMatchObject({ models: [], total: 0 });
});
