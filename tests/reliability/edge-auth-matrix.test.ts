// The auth matrix of the one-port server (`edgenn serve`), built by enumerating the routes of the
// edge app and of the registry app (`app.routes`): every write method on every platform path is
// refused 401 by the real server without the token or with a wrong one, and nothing changes. GETs
// are refused too unless listed below as public on purpose — a new admin GET must opt in here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { join } from 'node:path';
import { createEdgeApp } from '../../edge/app.ts';
import { createEdgeMetrics } from '../../edge/metrics.ts';
import { silentLog } from '../../edge/log.ts';
import type { Deployments } from '../../edge/deployments.ts';
import { checkBearer } from '../../registry/token.ts';
import { createRegistry } from '../../registry/registry.ts';
import { TOKEN, startServe, tempDataDir, type Serve } from '../e2e/serve-harness.ts';
import { addModel } from '../fixtures/onnx-models.ts';

/**
 * GETs that answer without a token, and why. The deployment list shows names, routes, model refs,
 * limits and variable NAMES (never values); health and metrics are for load balancers and scrapers.
 */
const PUBLIC_GETS = new Set([
  '/healthz/live',
  '/healthz/ready',
  '/metrics',
  // The registry's reads (public unless requireTokenForReads) and its docs page.
  '/v1/models',
  '/v1/models/:name',
  '/v1/models/:name/versions/:version',
  '/v1/models/:name/versions/:version/blob',
  '/v1/resolve/:ref',
  '/v1/blobs/:digest',
  '/v1/events',
  '/',
  '/models',
  '/models/:name',
]);
const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;
const SECRET_VAR = 'var-value-that-must-not-leak';

const tmp = tempDataDir('rel-auth');
let serve: Serve;
let digest = '';
let edgeRoutes: Array<{ method: string; path: string }>;
let registryRoutes: Array<{ method: string; path: string }>;

beforeAll(async () => {
  serve = await startServe(join(tmp.dir, 'data'), ['--no-model-host']);
  const auth = { authorization: `Bearer ${TOKEN}` };
  const pub = await fetch(`${serve.url}/v1/models/guarded/versions/1.0.0?placement=cpu`, { method: 'PUT', headers: auth, body: addModel() });
  expect(pub.status).toBe(201);
  digest = ((await pub.json()) as { manifest: { digest: string } }).manifest.digest;
  const dep = await fetch(`${serve.url}/v1/deployments`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ manifest: { name: 'svc', routes: ['/svc/*'], models: [], vars: { SECRET: SECRET_VAR } }, module: 'export default { fetch() { return new Response("ok"); } };' }),
  });
  expect(dep.status).toBe(201);

  // The route tables, read from the very factories `edgenn serve` uses (no request is sent to these).
  const edge = createEdgeApp({ deployments: {} as Deployments, metrics: createEdgeMetrics(), log: silentLog, token: 'unused', checkBearer }) as unknown as Hono;
  const reg = await createRegistry({ dataDir: join(tmp.dir, 'routes-only'), token: 'unused' });
  edgeRoutes = edge.routes.map((r) => ({ method: r.method, path: r.path }));
  registryRoutes = reg.app.routes.map((r) => ({ method: r.method, path: r.path }));
  await reg.close();
}, 120_000);
afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

function concrete(pattern: string): string {
  const values: Record<string, string> = { name: 'svc', version: '1.0.0', alias: 'stable', ref: 'guarded@latest', digest };
  // Registry routes name their model 'guarded'; edge routes their deployment 'svc'.
  const v = pattern.startsWith('/v1/models') || pattern.startsWith('/models') ? { ...values, name: 'guarded' } : values;
  return pattern.replace(/:([A-Za-z_]+)\??(\{[^}]*\})?/g, (_m, p: string) => v[p] ?? 'x').replace(/\*/g, 'guarded');
}

/** Platform paths only: the edge's catch-all `*` is the tenants' front door, not an API. */
const platformPaths = () => [...new Set([...edgeRoutes, ...registryRoutes].map((r) => r.path))].filter((p) => p !== '*' && p !== '/*');

async function send(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const ac = new AbortController();
  const res = await fetch(`${serve.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{"version":"1.0.0"}' }), signal: ac.signal });
  const text = res.headers.get('content-type')?.includes('event-stream') ? '' : await res.text();
  ac.abort();
  return { status: res.status, text };
}

const BAD: Array<[string, Record<string, string>]> = [
  ['no token', {}],
  ['a wrong token', { authorization: 'Bearer wrong' }],
  ['the token as Basic', { authorization: `Basic ${TOKEN}` }],
  ['the token with a suffix', { authorization: `Bearer ${TOKEN}x` }],
  ['the token in a cookie', { cookie: `token=${TOKEN}` }],
];

describe('edgenn serve auth', () => {
  it('enumerates both apps, admin writes included', () => {
    const writes = edgeRoutes.filter((r) => WRITE_METHODS.includes(r.method as never)).map((r) => `${r.method} ${r.path}`);
    expect(writes).toEqual(expect.arrayContaining(['POST /v1/deployments', 'POST /v1/deployments/:name/rollback', 'DELETE /v1/deployments/:name']));
    expect(registryRoutes.some((r) => r.method === 'PUT' && r.path === '/v1/models/:name/versions/:version')).toBe(true);
  });

  it.each(BAD)('refuses every write on every platform path with %s, and nothing changes', async (_label, headers) => {
    const before = await (await fetch(`${serve.url}/v1/deployments`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const models = await (await fetch(`${serve.url}/v1/models`)).text();
    const declared = new Set([...edgeRoutes, ...registryRoutes].map((r) => `${r.method} ${r.path}`));
    const leaks: string[] = [];
    let refused = 0;
    for (const pattern of platformPaths()) {
      for (const method of WRITE_METHODS) {
        // A declared write route must refuse (401). Any other method on a platform path must be
        // refused or have no handler at all (404 / 405): never processed, never a 2xx or a 400.
        const allowed = declared.has(`${method} ${pattern}`) ? [401] : [401, 404, 405];
        for (const query of ['', `?token=${TOKEN}`]) {
          const r = await send(method, `${concrete(pattern)}${query}`, headers);
          if (!allowed.includes(r.status)) leaks.push(`${method} ${pattern}${query} → ${r.status}`);
          if (r.status === 401) refused++;
          expect(r.text).not.toContain(TOKEN);
        }
      }
    }
    expect(leaks).toEqual([]);
    expect(refused).toBeGreaterThanOrEqual(2 * 7); // every declared write (edge 3, registry 4) both ways
    expect(await (await fetch(`${serve.url}/v1/deployments`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()).toBe(before);
    expect(await (await fetch(`${serve.url}/v1/models`)).text()).toBe(models);
    expect((await fetch(`${serve.url}/svc/x`)).status).toBe(200);
  });

  it('refuses every GET that is not public on purpose, and the public ones leak no secret', async () => {
    const gets = [...edgeRoutes, ...registryRoutes].filter((r) => r.method === 'GET').map((r) => r.path);
    const unexpected: string[] = [];
    for (const pattern of new Set(gets)) {
      const r = await send('GET', concrete(pattern), {});
      if (PUBLIC_GETS.has(pattern)) {
        expect(r.status, pattern).toBeLessThan(500);
        expect(r.text, pattern).not.toContain(TOKEN);
        expect(r.text, pattern).not.toContain(SECRET_VAR);
      } else if (r.status !== 401) unexpected.push(`GET ${pattern} → ${r.status} without a token`);
    }
    expect(unexpected).toEqual([]);
    // Even with the token, the admin API shows variable names, never their values.
    const res = await fetch(`${serve.url}/v1/deployments/svc`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    expect(text).not.toContain(SECRET_VAR);
    expect((JSON.parse(text) as { deployment: { vars: unknown } }).deployment.vars).toEqual(['SECRET']);
  });
});
