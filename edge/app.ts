// The edge's HTTP face: the admin API (/v1/deployments…, bearer token on every write), health,
// metrics, and the front that sends every other path to the deployment whose route matches.
// Paths it does not own (the registry's) go to `fallback`.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Deployments } from './deployments.ts';
import type { EdgeMetrics } from './metrics.ts';
import type { Log } from './log.ts';
import { validateManifest } from './deploy/manifest.ts';
import { EdgennError } from '../wit/errors.ts';
import { errorResponse, installErrorHandling, requestIds, type RequestIdVariables } from '../wit/http.ts';

/** Upload limit of `POST /v1/deployments` (manifest + bundled module). */
export const MAX_DEPLOY_BYTES = 16 * 1024 * 1024;

export interface EdgeAppDeps {
  deployments: Deployments;
  metrics: EdgeMetrics;
  log: Log;
  /** The admin token; checked in constant time by `checkBearer`. */
  token: string;
  checkBearer(header: string | undefined, token: string): boolean;
  /** Where reserved paths the edge does not serve go (the registry's app in `edgenn serve`). */
  fallback?: (request: Request) => Response | Promise<Response>;
  /** One JSON log line per request routed to a handler (default true). */
  accessLog?: boolean;
}

type Env = { Variables: RequestIdVariables };

/** Paths the platform owns on its one port: never routed to handlers. */
export function isReservedPath(path: string): boolean {
  if (path === '/' || path === '/metrics' || path === '/models') return true;
  return /^\/(?:v1|v2|healthz|models|metrics)(?:\/|$)/.test(path);
}

export function createEdgeApp(deps: EdgeAppDeps): Hono<Env> {
  const { deployments, metrics, log } = deps;
  const app = installErrorHandling(new Hono<Env>());
  app.use(requestIds());

  const requireToken = async (c: Context<Env>, next: () => Promise<void>) => {
    if (!deps.checkBearer(c.req.header('authorization'), deps.token)) {
      throw new EdgennError('unauthorized', 'this endpoint needs `Authorization: Bearer <token>`; the token is in <data>/token or $EDGENN_TOKEN (pass --token)');
    }
    await next();
  };

  app.get('/healthz/live', (c) => c.json({ status: 'live' }));
  app.get('/healthz/ready', async (c) => {
    const problems = await deployments.notReady();
    if (problems.length > 0) {
      return errorResponse(c, new EdgennError('unavailable', `not ready: ${problems.join('; ')}`, { retryAfter: 1 }));
    }
    return c.json({ status: 'ready', deployments: [...deployments.live()].length });
  });

  app.get('/metrics', async (c) => {
    const text = await metrics.registry.metrics();
    return c.body(text, 200, { 'content-type': metrics.registry.contentType });
  });

  // Admin API. Body of a deploy: JSON { "manifest": DeploymentManifest, "module": "<bundled ES module>" }.
  app.post('/v1/deployments', requireToken, bodyLimit({ maxSize: MAX_DEPLOY_BYTES }), async (c) => {
    const body = await c.req.json().catch(() => {
      throw new EdgennError('invalid-argument', 'the body must be JSON { "manifest": {...}, "module": "<bundled ES module>" } (use `edgenn deploy`)');
    });
    if (typeof body !== 'object' || body === null || typeof body.module !== 'string' || body.module.length === 0) {
      throw new EdgennError('invalid-argument', 'the body needs "module": the bundled handler as one ES module (use `edgenn deploy`, which bundles it)');
    }
    const manifest = validateManifest(body.manifest);
    const deployment = await deployments.deploy(manifest, body.module);
    return c.json({ deployment }, 201);
  });
  // Admin reads need the token too: deployment names, routes and models are the operator's business.
  app.get('/v1/deployments', requireToken, (c) => c.json({ deployments: deployments.list() }));
  app.get('/v1/deployments/:name', requireToken, (c) => c.json({ deployment: deployments.get(c.req.param('name')!) }));
  app.post('/v1/deployments/:name/rollback', requireToken, async (c) => c.json({ deployment: await deployments.rollback(c.req.param('name')!) }));
  app.delete('/v1/deployments/:name', requireToken, async (c) => {
    await deployments.undeploy(c.req.param('name')!);
    return c.body(null, 204);
  });

  // The front: everything else.
  app.all('*', async (c) => {
    const url = new URL(c.req.url);
    if (isReservedPath(url.pathname)) {
      if (deps.fallback) return deps.fallback(c.req.raw);
      throw new EdgennError('not-found', `no route for ${c.req.method} ${url.pathname}; see the API in README.md`);
    }
    const live = deployments.match(url.hostname.toLowerCase(), url.pathname);
    if (!live) {
      const waiting = deployments.waiting(url.hostname.toLowerCase(), url.pathname);
      if (waiting) {
        throw new EdgennError('unavailable', `deployment '${waiting.name}' is not serving yet: ${waiting.error}`, { retryAfter: 5 });
      }
      throw new EdgennError('not-found', `no deployment routes ${url.pathname}; deploy a handler for it with \`edgenn deploy --route\``);
    }
    const requestId = c.get('requestId');
    const leave = deployments.enter(live);
    const started = performance.now();
    let res: Response;
    try {
      res = await live.instance.fetch(c.req.raw, requestId);
    } catch (err) {
      // WorkerInstance.fetch never throws by contract; this is the belt to its braces.
      leave();
      throw err;
    }
    const seconds = (performance.now() - started) / 1000;
    const { name } = live.spec.manifest;
    metrics.request(name, live.spec.version, res.status, seconds);
    if (deps.accessLog !== false) {
      log('info', 'request', { requestId, deployment: name, version: live.spec.version, method: c.req.method, path: url.pathname, status: res.status, ms: Math.round(seconds * 1e4) / 10 });
    }
    if (!res.body) {
      leave();
      return res;
    }
    // Counted until the body has streamed out, so a drain never stops a worker mid-response.
    const body = res.body.pipeThrough(
      new TransformStream({
        flush: leave,
      }),
    );
    const headers = new Headers(res.headers);
    if (!headers.has('x-request-id')) headers.set('x-request-id', requestId);
    return new Response(body, { status: res.status, statusText: res.statusText, headers });
  });

  return app;
}
