// The docs pages over a real registry: the index and a model page rendered as HTML, the same URLs
// answering JSON, and filters read from query parameters (cards hidden server-side, no script needed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocsPages } from './routes.tsx';
import type { LiveModelStatus } from './live-status.ts';
import { HTML, JSON_ONLY, openCatalog, type TestCatalog } from './test-catalog.ts';

let catalog: TestCatalog;
beforeAll(async () => {
  catalog = await openCatalog();
});
afterAll(() => catalog?.close());

describe('docs pages', () => {
  it('serves the index as HTML with every model and one h1', async () => {
    const app = createDocsPages({ store: catalog.registry.store });
    const res = await app.request('/', { headers: HTML });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('vary')).toMatch(/accept/i);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'sha256-[^']+'/);
    const html = await res.text();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<h1[\s>]/g)).toHaveLength(1);
    expect(html).toContain('data-model="adder"');
    expect(html).toContain('data-model="gain"');
    expect(html).toContain('<code>1.2.0</code>');
    expect(html).toContain('stable → 1.0.0');
    expect(html).toContain('<label for="f-q">Search</label>');
    const list = await app.request('/models?task=audio');
    expect(list.status).toBe(302);
    expect(list.headers.get('location')).toBe('/?task=audio');
  });

  it('answers JSON to Accept: application/json on the same URLs, filtered by query', async () => {
    const live: LiveModelStatus[] = [{ name: 'gain', version: '0.1.0', state: 'failed', where: 'model-host-cpu', error: 'out of memory' }];
    const app = createDocsPages({ store: catalog.registry.store, status: async () => live });
    const all = (await (await app.request('/', { headers: JSON_ONLY })).json()) as { models: { name: string; latestVersion: string; placement: { where: string }; status?: LiveModelStatus }[]; total: number };
    expect(all.total).toBe(2);
    expect(all.models.map((m) => [m.name, m.latestVersion, m.placement.where])).toEqual([
      ['adder', '1.2.0', 'cpu-worker'],
      ['gain', '0.1.0', 'model-host-cpu'],
    ]);
    expect(all.models[1]!.status).toEqual(live[0]);
    const filtered = (await (await app.request('/?task=audio', { headers: JSON_ONLY })).json()) as { models: { name: string }[] };
    expect(filtered.models.map((m) => m.name)).toEqual(['gain']);
    const byLabel = (await (await app.request('/?label=domain%3Dmath&q=two', { headers: JSON_ONLY })).json()) as { models: { name: string }[] };
    expect(byLabel.models.map((m) => m.name)).toEqual(['adder']);

    const res = await app.request('/models/adder', { headers: JSON_ONLY });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const one = (await res.json()) as { model: { versions: { version: string; digest: string }[]; aliases: Record<string, string> }; examples: { handler: string; deploy: string } };
    expect(one.model.versions.map((v) => v.version)).toEqual(['1.2.0', '1.0.0']);
    expect(one.model.versions[0]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(one.model.aliases).toMatchObject({ latest: '1.2.0', stable: '1.0.0' });
    expect(one.examples.deploy).toContain('--model adder');
    // A browser's Accept (HTML first) gets HTML.
    expect((await app.request('/models/adder', { headers: HTML })).headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('hides non-matching cards when filtering by query parameters', async () => {
    const app = createDocsPages({ store: catalog.registry.store });
    const html = await (await app.request('/?placement=model-host-gpu', { headers: HTML })).text();
    expect(html).toMatch(/data-model="adder"[^>]* hidden=""/);
    expect(html).not.toMatch(/data-model="gain"[^>]* hidden=""/);
    expect(html).toContain('1 of 2 models');
    expect(html).toMatch(/<option value="model-host-gpu" selected="">/);
  });

  it('renders the model page: signature with named dynamic dims, versions, snippet, curl and deploy line', async () => {
    const app = createDocsPages({ store: catalog.registry.store, publicUrl: 'https://models.example.com/' });
    const html = await (await app.request('/models/gain', { headers: HTML })).text();
    expect(html).toContain('<h1>gain</h1>');
    expect(html).toMatch(/<td><code>x<\/code><\/td><td><code>FP32<\/code><\/td><td><code>\[<span class="dyn"[^>]*>n<\/span>, 3\]<\/code><\/td>/);
    expect(html).toMatch(/<td><code>k<\/code><\/td><td><code>I64<\/code><\/td><td><span>scalar<\/span><\/td>/);
    expect(html).toContain('env.AI.run(&#39;gain&#39;');
    expect(html).toContain('BigInt64Array.from(body.k');
    expect(html).toContain('curl -sS -X POST &#39;https://models.example.com/gain&#39;');
    expect(html).toContain('edgenn deploy handler.ts --name gain-api --route &#39;/gain&#39; --model gain');
    expect(html).toMatch(/<code>sha256:[0-9a-f]{64}<\/code>/);
    const older = await (await createDocsPages({ store: catalog.registry.store }).request('/models/adder?version=stable', { headers: HTML })).text();
    expect(older).toContain('Version <code>1.0.0</code> (latest is 1.2.0)');
  });
});
