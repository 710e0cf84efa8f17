/** @jsxImportSource hono/jsx */
// The available-models documentation page: a Hono sub-app serving `/` and `/models/:name`,
// server-rendered, usable without JavaScript, answering JSON to `Accept: application/json`.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { EdgennError } from '../../wit/errors.ts';
import { errorResponse, installErrorHandling, requestIds } from '../../wit/http.ts';
import { NAME_RE, type ModelManifest } from '../manifest.ts';
import type { ModelStore } from '../store.ts';
import {
  DEFAULT_CPU_THRESHOLD_BYTES,
  facetsOf,
  matches,
  readFilters,
  sortedVersions,
  summarize,
  type ModelSummary,
} from './catalog.ts';
import { CONTENT_SECURITY_POLICY, Layout } from './layout.tsx';
import { IndexPage } from './index-page.tsx';
import { ModelPage } from './model-page.tsx';
import type { LiveModelStatus } from './live-status.ts';
import { examplesFor } from './snippet.ts';

export type { LiveModelStatus, LiveState, Where } from './live-status.ts';

export interface DocsPagesOptions {
  store: Pick<ModelStore, 'list' | 'get' | 'resolve'>;
  /** Live state of loaded models, provided by the edge; the page shows "status unknown" without it. */
  status?: () => Promise<LiveModelStatus[]>;
  /** Base URL printed in the examples (curl, publish); defaults to the request's origin. */
  publicUrl?: string;
  /** Models of placement `auto` up to this size run in edge CPU workers (the edge's threshold). */
  cpuThresholdBytes?: number;
  /** How long to wait for `status` before rendering without it. */
  statusTimeoutMs?: number;
}

/** JSON when the client asks for it ahead of HTML (`Accept: application/json`). */
export function wantsJson(c: Context): boolean {
  const accept = (c.req.header('accept') ?? '').toLowerCase();
  if (!accept.includes('application/json')) return false;
  const html = accept.indexOf('text/html');
  return html < 0 || accept.indexOf('application/json') < html;
}

/** Adds request ids only when the app we are mounted in has not already. */
function ensureRequestId(): MiddlewareHandler {
  const ids = requestIds();
  return async function ensureRequestId(c, next) {
    if (c.get('requestId' as never)) return next();
    return ids(c, next);
  };
}

export function createDocsPages(options: DocsPagesOptions): Hono {
  const { store, status, publicUrl, cpuThresholdBytes = DEFAULT_CPU_THRESHOLD_BYTES, statusTimeoutMs = 1000 } = options;
  // A failing store answers in the one error shape (Hono keeps a sub-app's error handler when mounted).
  const app = installErrorHandling(new Hono());
  // Scoped to the page's own paths: mounted at `/` of the registry app, a `*` middleware would
  // also wrap the registry API (and overwrite, say, its blobs' immutable cache-control).
  for (const path of ['/', '/models/:name']) app.use(path, ensureRequestId(), docsHeaders);
  async function docsHeaders(c: Context, next: () => Promise<void>): Promise<void> {
    await next();
    c.header('vary', 'Accept');
    c.header('cache-control', 'no-cache');
    if ((c.res.headers.get('content-type') ?? '').startsWith('text/html')) {
      c.header('content-security-policy', CONTENT_SECURITY_POLICY);
      c.header('x-content-type-options', 'nosniff');
      c.header('referrer-policy', 'no-referrer');
    }
  }

  const baseUrl = (c: Context) => (publicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, '');

  /** Live status never breaks the page: a slow or failing provider just means "unknown". */
  async function liveStatuses(): Promise<LiveModelStatus[]> {
    if (!status) return [];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<LiveModelStatus[]>((resolve) => {
      timer = setTimeout(() => resolve([]), statusTimeoutMs);
    });
    try {
      return await Promise.race([status().catch(() => []), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  app.get('/', async (c) => {
    const [records, statuses] = await Promise.all([store.list(), liveStatuses()]);
    const models = records.map((r) => summarize(r, statuses, cpuThresholdBytes)).filter((m): m is ModelSummary => !!m);
    const filters = readFilters((k) => c.req.query(k));
    const facets = facetsOf(models);
    if (wantsJson(c)) {
      const shown = models.filter((m) => matches(m, filters));
      return c.json({ models: shown, total: models.length, filters, facets });
    }
    return c.html(<IndexPage models={models} filters={filters} facets={facets} baseUrl={baseUrl(c)} />);
  });

  // `/models` is the page's too (a reserved path): the list lives at `/`.
  app.get('/models', (c) => c.redirect(`/${new URL(c.req.url).search}`, 302));

  app.get('/models/:name', async (c) => {
    const name = c.req.param('name');
    const askedVersion = c.req.query('version');
    const record = NAME_RE.test(name) ? await store.get(name) : undefined;
    if (!record) {
      return notFound(c, `no model named '${name}' in this registry; see the list at / or publish it with 'edgenn publish model.onnx --name ${NAME_RE.test(name) ? name : 'my-model'} --version 1.0.0'`);
    }
    const statuses = await liveStatuses();
    const summary = summarize(record, statuses, cpuThresholdBytes);
    const versions = sortedVersions(record);
    const shown: ModelManifest | undefined = askedVersion
      ? versions.find((v) => v.version === askedVersion || v.version === record.aliases[askedVersion])
      : versions.find((v) => v.version === summary?.latestVersion);
    if (!summary || !shown) {
      return notFound(c, `model '${name}' has no version '${askedVersion ?? 'latest'}'; its versions are ${versions.map((v) => v.version).join(', ') || 'none'}`);
    }
    const mine = statuses.filter((s) => s.name === name);
    const examples = examplesFor(shown, baseUrl(c));
    if (wantsJson(c)) {
      return c.json({ model: { ...record, versions }, summary, shown: shown.version, status: mine, examples });
    }
    return c.html(<ModelPage record={record} summary={summary} shown={shown} versions={versions} statuses={mine} examples={examples} />);
  });

  return app;
}

/** JSON clients get the one error shape; browsers get a readable page with the same message. */
function notFound(c: Context, message: string): Response | Promise<Response> {
  const err = new EdgennError('not-found', message);
  if (wantsJson(c) || !(c.req.header('accept') ?? '').includes('text/html')) return errorResponse(c, err);
  return c.html(
    <Layout title="Not found · edgenn models">
      <h1>Model not found</h1>
      <p>{message}</p>
      <p>
        <a href="/">See every available model</a>
      </p>
    </Layout>,
    404,
  );
}
