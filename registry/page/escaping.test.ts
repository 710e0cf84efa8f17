// Everything a publisher wrote (description, labels, task) reaches the page as text: a
// description holding <script> is shown, never run, and the only script is the page's own.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDocsPages } from './routes.tsx';
import { HTML, openCatalog, type TestCatalog } from './test-catalog.ts';

let catalog: TestCatalog;
beforeAll(async () => {
  catalog = await openCatalog();
});
afterAll(() => catalog?.close());

it('escapes a publisher-written <script> on the index, the model page and in search results', async () => {
  const app = createDocsPages({ store: catalog.registry.store });
  for (const path of ['/', '/models/gain', '/?q=%3Cscript%3E']) {
    const html = await (await app.request(path, { headers: HTML })).text();
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;');
    expect(html.match(/<script/g)).toHaveLength(1);
  }
});
