// The edge app through app.request: the admin API needs the token for writes, a deploy switches
// the route table only once the new version started, a failed deploy keeps the old version
// serving, route conflicts and reserved paths are refused, rollback and undeploy, health.
// Handlers run in-process here (the real workerd runtime is exercised in tests/e2e/).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeploymentSpec, WorkerInstance, WorkerRuntime } from './contracts.ts';
import type { RegistryClient } from '../registry/client-types.ts';
import { createEdgeApp } from './app.ts';
import { createDeployments } from './deployments.ts';
import { createDeploymentStore } from './deploy/store.ts';
import { createLifecycle } from './lifecycle.ts';
import { createPlacementRouter } from './placement.ts';
import { createEdgeMetrics } from './metrics.ts';
import { silentLog } from './log.ts';
import { EdgennError } from '../wit/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgenn-app-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a handler module in this process: enough to exercise the edge's own logic. */
function inProcessRuntime(): WorkerRuntime & { stopped: string[] } {
  const stopped: string[] = [];
  return {
    stopped,
    async start(spec: DeploymentSpec): Promise<WorkerInstance> {
      let mod: { default?: { fetch?: unknown } };
      try {
        mod = await import(`${pathToFileURL(spec.modulePath).href}?v=${spec.version}-${Math.random()}`);
      } catch (err) {
        throw new EdgennError('invalid-argument', `the module does not load: ${(err as Error).message}`);
      }
      const handler = mod.default;
      if (typeof handler?.fetch !== 'function') throw new EdgennError('invalid-argument', "the module's default export has no fetch(request, env, ctx)");
      let state: WorkerInstance['state'] = 'ready';
      return {
        spec,
        get state() {
          return state;
        },
        restarts: 0,
        async fetch(request) {
          return (handler.fetch as (r: Request, env: unknown) => Promise<Response>)(request, { ...spec.manifest.vars });
        },
        async stop() {
          state = 'stopped';
          stopped.push(`${spec.manifest.name}@${spec.version}`);
        },
      };
    },
    async close() {},
  };
}

const noRegistry = new Proxy({} as RegistryClient, {
  get() {
    throw new Error('these tests declare no models');
  },
});

function edge(data: string, token = 'secret-token') {
  const router = createPlacementRouter({});
  const runtime = inProcessRuntime();
  const lifecycle = createLifecycle({ registry: noRegistry, router, log: silentLog });
  const store = createDeploymentStore(data);
  const deployments = createDeployments({ store, runtime, lifecycle, router, log: silentLog });
  const app = createEdgeApp({
    deployments,
    metrics: createEdgeMetrics(),
    log: silentLog,
    token,
    checkBearer: (h, t) => h === `Bearer ${t}`,
    fallback: () => new Response('registry', { status: 299 }),
  });
  return { app, runtime, store, deployments };
}

const handler = (text: string) => `export default { async fetch(req, env) { return new Response(${JSON.stringify(text)} + ':' + (env.V ?? '') + ':' + new URL(req.url).pathname) } };\n`;
const json = (r: Response): Promise<any> => r.json();
const auth = { authorization: 'Bearer secret-token', 'content-type': 'application/json' };
const manifest = (name: string, routes: string[], vars: Record<string, string> = {}) => ({ name, routes, models: [], vars });

describe('edge app', () => {
  const { app, runtime, store, deployments } = edge(join(dir, 'one'));
  const deploy = (body: unknown, headers: Record<string, string> = auth) =>
    app.request('/v1/deployments', { method: 'POST', headers, body: JSON.stringify(body) });

  it('is not ready before the persisted deployments are restored, then is', async () => {
    expect((await app.request('/healthz/live')).status).toBe(200);
    const before = await app.request('/healthz/ready');
    expect(before.status).toBe(503);
    expect(before.headers.get('retry-after')).toBe('1');
    await store.init();
    await deployments.restore();
    expect((await app.request('/healthz/ready')).status).toBe(200);
  });

  it('refuses writes without the token', async () => {
    const res = await deploy({ manifest: manifest('hello', ['/hello/*']), module: handler('v1') }, { 'content-type': 'application/json' });
    expect(res.status).toBe(401);
    const body = await json(res);
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    expect((await app.request('/v1/deployments/hello', { method: 'DELETE' })).status).toBe(401);
    expect((await app.request('/v1/deployments/hello/rollback', { method: 'POST', headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });

  it('deploys, routes, and lists without variable values', async () => {
    const res = await deploy({ manifest: manifest('hello', ['/hello/*'], { V: 'one', SECRET: 's3' }), module: handler('v1') });
    expect(res.status).toBe(201);
    const { deployment } = await json(res);
    expect(deployment).toMatchObject({ name: 'hello', version: 1, state: 'ready', vars: ['V', 'SECRET'] });
    const hit = await app.request('/hello/world');
    expect(await hit.text()).toBe('v1:one:/hello/world');
    expect(hit.headers.get('x-request-id')).toBeTruthy();
    const bare = await app.request('/hello');
    expect(bare.status).toBe(200);
    // Read every handler body: a version drains only once its responses have streamed out.
    expect(await bare.text()).toBe('v1:one:/hello');
    const miss = await app.request('/other');
    expect(miss.status).toBe(404);
    expect((await json(miss)).error.message).toContain('edgenn deploy --route');
    expect((await app.request('/v1/deployments')).status).toBe(401);
    const list = await (await app.request('/v1/deployments', { headers: auth })).json();
    expect(JSON.stringify(list)).not.toContain('s3');
    // Reserved paths go to the registry, never to a handler.
    expect((await app.request('/v1/models')).status).toBe(299);
  });

  it('refuses a route another deployment owns, and reserved paths', async () => {
    const clash = await deploy({ manifest: manifest('other', ['/hello/*']), module: handler('x') });
    expect(clash.status).toBe(409);
    expect((await json(clash)).error.message).toContain("'hello'");
    const reserved = await deploy({ manifest: manifest('other', ['/v1/x']), module: handler('x') });
    expect(reserved.status).toBe(400);
    expect((await json(reserved)).error.message).toContain('reserved');
  });

  it('keeps the old version serving when the new one fails to start', async () => {
    const res = await deploy({ manifest: manifest('hello', ['/hello/*']), module: 'export default { nofetch: 1 };\n' });
    expect(res.status).toBe(400);
    const { error } = await json(res);
    expect(error.message).toContain('previous version keeps serving');
    expect(error.message).toContain('no fetch');
    expect(await (await app.request('/hello/x')).text()).toBe('v1:one:/hello/x');
  });

  it('switches to a new version and drains the old one', async () => {
    const res = await deploy({ manifest: manifest('hello', ['/hello/*', '/hi'], { V: 'two' }), module: handler('v2') });
    expect(res.status).toBe(201);
    expect((await json(res)).deployment.version).toBe(2);
    expect(await (await app.request('/hi')).text()).toBe('v2:two:/hi');
    await expect.poll(() => runtime.stopped).toContain('hello@1');
  });

  it('rolls back to the previous version, then has nothing older', async () => {
    const res = await app.request('/v1/deployments/hello/rollback', { method: 'POST', headers: auth });
    expect(res.status).toBe(200);
    expect((await json(res)).deployment.version).toBe(1);
    expect(await (await app.request('/hello/x')).text()).toBe('v1:one:/hello/x');
    expect((await app.request('/hi')).status).toBe(404);
    const again = await app.request('/v1/deployments/hello/rollback', { method: 'POST', headers: auth });
    expect(again.status).toBe(409);
  });

  it('counts requests per deployment in /metrics', async () => {
    const text = await (await app.request('/metrics')).text();
    expect(text).toMatch(/edgenn_deployment_requests_total\{deployment="hello",version="1",status="2xx"\} [1-9]/);
    expect(text).toContain('edgenn_deployment_request_duration_seconds_bucket');
  });

  it('comes back after a restart with the same version', async () => {
    const again = edge(join(dir, 'one'));
    await again.store.init();
    await again.deployments.restore();
    expect(await (await again.app.request('/hello/x')).text()).toBe('v1:one:/hello/x');
    await again.deployments.close();
  });

  it('undeploys', async () => {
    const res = await app.request('/v1/deployments/hello', { method: 'DELETE', headers: auth });
    expect(res.status).toBe(204);
    expect((await app.request('/hello/x')).status).toBe(404);
    expect((await app.request('/v1/deployments/hello', { headers: auth })).status).toBe(404);
    expect((await app.request('/v1/deployments/hello', { method: 'DELETE', headers: auth })).status).toBe(404);
    await deployments.close();
  });
});
