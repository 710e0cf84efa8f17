// The registry's HTTP API (`/v1/models…`, `/v1/resolve/…`, `/v1/blobs/…`, `/v1/events`) as a Hono
// app. It holds no state of its own: the store and the event log are passed in.
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { EdgennError, errorBody } from '../wit/errors.ts';
import { installErrorHandling, requestIds } from '../wit/http.ts';
import { parseRef, type ModelManifest, type ModelRecord, type Placement, type Signature } from './manifest.ts';
import type { BlobRange, ModelStore, PublishMetadata, PublishResult } from './store.ts';
import type { DeleteResult, GcResult, ReceivedUpload, StagedPublish } from './oci-layout-store.ts';
import { checkAlias, checkName, checkVersion } from './oci-layout-store.ts';
import type { EventLog } from './events.ts';
import { checkBearer } from './token.ts';
import { readModelSignature } from './signature.ts';
import { createDocsPages, type DocsPagesOptions } from './page/routes.tsx';

/** A store the registry can write to (OciLayoutStore; an OCI-distribution backend later). */
export interface WritableModelStore extends ModelStore {
  receiveUpload(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, maxBytes: number): Promise<ReceivedUpload>;
  publish(staged: StagedPublish): Promise<PublishResult>;
  setAlias(name: string, alias: string, version: string): Promise<{ previous?: string }>;
  deleteVersion(name: string, version: string, options?: { force?: boolean }): Promise<DeleteResult>;
  gc(): Promise<GcResult>;
}

export interface RegistryAppOptions {
  store: WritableModelStore;
  events: EventLog;
  /** The bearer token every write needs. */
  token: string;
  /** Also require the token for reads (default false: reads are public). */
  requireTokenForReads?: boolean;
  /** Largest model upload in bytes (default 4 GiB); larger ones get 413 too-large. */
  maxUploadBytes?: number;
  /** Seconds between SSE heartbeat comments on an idle feed (default 15). */
  heartbeatSeconds?: number;
  /** Aborting it ends every open event stream (shutdown). */
  shutdown?: AbortSignal;
  /** Validates an upload and reads its signature (default: ONNX Runtime, registry/signature.ts). */
  readSignature?: (path: string) => Promise<Signature>;
  /** Uploads validated at once (default 2): each opens an ONNX Runtime session as big as the model. */
  maxConcurrentValidations?: number;
  log?: (line: string) => void;
  /** The available-models documentation page at `/` and `/models/{name}` (status, public URL…). */
  pages?: Omit<DocsPagesOptions, 'store'>;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 4 * 1024 ** 3;
const SMALL_BODY_BYTES = 16 * 1024;
/**
 * Paths this app owns (the API, and the docs page at `/` and `/models/{name}`); its middleware
 * runs only there, so it can share a server with others. A `/x/*` pattern matches `/x` too.
 */
const OWN_PATHS = ['/v1/models/*', '/v1/resolve/*', '/v1/blobs/*', '/v1/events', '/', '/models/*'];

/** What the list endpoint returns for each model: the record plus its latest version. */
export interface ModelSummary extends ModelRecord {
  latest: ModelManifest | null;
}

function summary(record: ModelRecord): ModelSummary {
  const latestVersion = record.aliases.latest;
  return { ...record, latest: record.versions.find((v) => v.version === latestVersion) ?? null };
}

function parsePublishQuery(c: Context, name: string, version: string): PublishMetadata {
  const q = (k: string) => c.req.query(k);
  const text = (k: string, max: number): string | undefined => {
    const v = q(k);
    if (v !== undefined && v.length > max) throw new EdgennError('invalid-argument', `'${k}' is ${v.length} characters; keep it under ${max}`);
    return v;
  };
  const placement = q('placement');
  if (placement !== undefined && !['auto', 'cpu', 'gpu'].includes(placement)) {
    throw new EdgennError('invalid-argument', `placement must be auto, cpu or gpu, got '${placement.slice(0, 40)}'`);
  }
  const preloadRaw = q('preload');
  let preload: boolean | undefined;
  if (preloadRaw !== undefined) {
    if (['', 'true', '1'].includes(preloadRaw)) preload = true;
    else if (['false', '0'].includes(preloadRaw)) preload = false;
    else throw new EdgennError('invalid-argument', `preload must be true or false, got '${preloadRaw.slice(0, 40)}'`);
  }
  const labels: Record<string, string> = {};
  for (const l of c.req.queries('label') ?? []) {
    const eq = l.indexOf('=');
    const k = eq < 0 ? l : l.slice(0, eq);
    if (eq < 0 || !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/.test(k) || l.length - eq - 1 > 256) {
      throw new EdgennError('invalid-argument', `label '${l.slice(0, 80)}' must be key=value: a key of up to 63 letters, digits, '.', '_', '/' or '-', a value of up to 256 characters`);
    }
    labels[k] = l.slice(eq + 1);
  }
  const aliases = c.req.queries('alias') ?? [];
  for (const a of aliases) checkAlias(a);
  const description = text('description', 4096);
  const license = text('license', 256);
  const task = text('task', 128);
  return {
    name,
    version,
    ...(description !== undefined ? { description } : {}),
    ...(license !== undefined ? { license } : {}),
    ...(task !== undefined ? { task } : {}),
    ...(placement !== undefined ? { placement: placement as Placement } : {}),
    ...(preload !== undefined ? { preload } : {}),
    labels,
    aliases,
  };
}

/** `Range: bytes=a-b | a- | -n` → one inclusive range; 'unsatisfiable' when it cannot be served. */
export function parseRange(header: string | undefined, size: number): BlobRange | undefined | 'unsatisfiable' {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'unsatisfiable';
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** Wraps an async function so at most `max` calls run at once; the rest wait in order. */
function limitConcurrency<A, R>(fn: (arg: A) => Promise<R>, max: number): (arg: A) => Promise<R> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (arg) => {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await fn(arg);
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

async function readSmallJson(c: Context): Promise<unknown> {
  const len = Number(c.req.header('content-length') ?? 0);
  if (len > SMALL_BODY_BYTES) throw new EdgennError('too-large', `this endpoint takes a small JSON body (up to ${SMALL_BODY_BYTES} bytes)`);
  const text = await c.req.text();
  if (text.length > SMALL_BODY_BYTES) throw new EdgennError('too-large', `this endpoint takes a small JSON body (up to ${SMALL_BODY_BYTES} bytes)`);
  try {
    return JSON.parse(text);
  } catch {
    throw new EdgennError('invalid-argument', 'the body must be JSON, e.g. {"version":"1.2.0"}');
  }
}

export function createRegistryApp(options: RegistryAppOptions): Hono {
  const { store, events, token } = options;
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const heartbeatMs = (options.heartbeatSeconds ?? 15) * 1000;
  const readSignature = limitConcurrency(options.readSignature ?? readModelSignature, options.maxConcurrentValidations ?? 2);
  const log = options.log ?? (() => {});
  const app = new Hono();

  for (const path of OWN_PATHS) {
    app.use(path, requestIds());
    app.use(path, async function registryAuth(c, next) {
      const isRead = c.req.method === 'GET' || c.req.method === 'HEAD';
      if ((!isRead || options.requireTokenForReads) && !checkBearer(c.req.header('authorization'), token)) {
        c.header('www-authenticate', 'Bearer realm="edgenn"');
        throw new EdgennError(
          'unauthorized',
          `${isRead ? 'this registry requires a token for reads' : 'writes need a token'}: send 'Authorization: Bearer <token>' (the token is EDGENN_TOKEN or the file <data>/token)`,
        );
      }
      await next();
    });
  }

  app.get('/v1/models', async (c) => c.json({ models: (await store.list()).map(summary) }));

  app.get('/v1/models/:name', async (c) => {
    const name = c.req.param('name');
    checkName(name);
    const record = await store.get(name);
    if (!record) await store.resolve({ name }); // throws the not-found with its advice
    return c.json(summary(record!));
  });

  app.get('/v1/models/:name/versions/:version', async (c) => {
    const { name, version } = c.req.param();
    checkName(name);
    checkVersion(version);
    return c.json(await store.resolve({ name, version }));
  });

  app.get('/v1/models/:name/versions/:version/blob', async (c) => {
    const { name, version } = c.req.param();
    checkName(name);
    checkVersion(version);
    const manifest = await store.resolve({ name, version });
    return serveBlob(c, manifest.digest);
  });

  app.get('/v1/resolve/:ref', async (c) => {
    const raw = c.req.param('ref');
    const ref = parseRef(raw);
    if (!ref) {
      const at = raw.indexOf('@');
      checkName(at < 0 ? raw : raw.slice(0, at));
      throw new EdgennError('invalid-argument', `'${raw.slice(0, 80)}' is not a model reference: use name, name@version (semver) or name@alias`);
    }
    return c.json(await store.resolve(ref));
  });

  app.get('/v1/blobs/:digest', (c) => serveBlob(c, c.req.param('digest')));

  async function serveBlob(c: Context, digest: string): Promise<Response> {
    const etag = `"${digest}"`;
    const whole = await store.openBlob(digest);
    const size = whole.size;
    const headers: Record<string, string> = { etag, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream', 'cache-control': 'public, max-age=31536000, immutable' };
    if (c.req.header('if-none-match') === etag) {
      (whole.stream as Readable).destroy();
      return new Response(null, { status: 304, headers });
    }
    // A Range with a stale If-Range is served whole (RFC 9110 §13.1.5).
    const ifRange = c.req.header('if-range');
    const range = ifRange && ifRange !== etag ? undefined : parseRange(c.req.header('range'), size);
    if (range) (whole.stream as Readable).destroy();
    if (range === 'unsatisfiable') {
      const id = (c.get('requestId' as never) as string | undefined) ?? crypto.randomUUID();
      const body = errorBody(new EdgennError('invalid-argument', `range '${c.req.header('range')}' is outside the blob (${size} bytes)`), id);
      return c.json(body, 416, { 'content-range': `bytes */${size}` });
    }
    const { stream } = range ? await store.openBlob(digest, range) : whole;
    const body = Readable.toWeb(stream as Readable) as unknown as ReadableStream<Uint8Array>;
    if (range) {
      headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
      headers['content-length'] = String(range.end - range.start + 1);
      return new Response(body, { status: 206, headers });
    }
    headers['content-length'] = String(size);
    return new Response(body, { status: 200, headers });
  }

  /** Everything a publish checks before reading the body: name, version, metadata, declared size. */
  function checkPublish(c: Context, name: string, version: string, declaredSize: string | undefined): PublishMetadata {
    checkName(name);
    checkVersion(version);
    const meta = parsePublishQuery(c, name, version);
    if (declaredSize !== undefined && Number(declaredSize) > maxUploadBytes) {
      throw new EdgennError('too-large', `the upload is ${declaredSize} bytes, over the registry's limit of ${maxUploadBytes} bytes; raise --max-upload-bytes or publish a smaller model`);
    }
    return meta;
  }

  // A body-less preflight with the publish's query and `size`: answers what the PUT would refuse
  // before any byte is sent (a server that refuses mid-upload can only reset the connection), and
  // the existing version's manifest so a client can skip re-uploading identical bytes.
  app.post('/v1/models/:name/versions/:version/check', async (c) => {
    const { name, version } = c.req.param();
    checkPublish(c, name, version, c.req.query('size'));
    const existing = (await store.get(name))?.versions.find((v) => v.version === version) ?? null;
    return c.json({ ok: true, maxUploadBytes, existing });
  });

  app.put('/v1/models/:name/versions/:version', async (c) => {
    const { name, version } = c.req.param();
    let upload: ReceivedUpload;
    let meta: PublishMetadata;
    try {
      meta = checkPublish(c, name, version, c.req.header('content-length'));
      const body = c.req.raw.body;
      if (!body) throw new EdgennError('invalid-encoding', 'not an ONNX model: the upload is empty; send the .onnx file as the request body');
      upload = await store.receiveUpload(body as unknown as AsyncIterable<Uint8Array>, maxUploadBytes);
    } catch (err) {
      // The body was not read to its end: the connection cannot carry another request.
      c.header('connection', 'close');
      throw err;
    }
    let signature: Signature;
    try {
      signature = await readSignature(upload.path);
    } catch (err) {
      await rm(upload.path, { force: true });
      throw err;
    }
    const result = await store.publish({ ...upload, meta, signature });
    log(`registry: ${result.created ? 'published' : 'republished (unchanged)'} ${name}@${version} ${result.manifest.digest} (${result.manifest.size} bytes)`);
    return c.json(result, result.created ? 201 : 200);
  });

  app.delete('/v1/models/:name/versions/:version', async (c) => {
    const { name, version } = c.req.param();
    checkName(name);
    checkVersion(version);
    const force = ['true', '1', ''].includes(c.req.query('force') ?? 'false');
    const result = await store.deleteVersion(name, version, { force });
    log(`registry: deleted ${name}@${version}${result.removedAliases.length ? ` (aliases removed: ${result.removedAliases.join(', ')})` : ''}; gc freed ${result.gc.bytes} bytes`);
    return c.json({ deleted: result.manifest, removedAliases: result.removedAliases, gc: result.gc });
  });

  app.put('/v1/models/:name/aliases/:alias', async (c) => {
    const { name, alias } = c.req.param();
    checkName(name);
    checkAlias(alias);
    const body = (await readSmallJson(c)) as { version?: unknown };
    if (typeof body?.version !== 'string') throw new EdgennError('invalid-argument', 'the body must be {"version":"<semver>"} naming an existing version');
    checkVersion(body.version);
    const { previous } = await store.setAlias(name, alias, body.version);
    log(`registry: alias ${name}@${alias} → ${body.version}${previous ? ` (was ${previous})` : ''}`);
    return c.json({ name, alias, version: body.version, ...(previous ? { previous } : {}) });
  });

  app.get('/v1/events', (c) => {
    const raw = c.req.header('last-event-id') ?? c.req.query('lastEventId') ?? '0';
    const after = /^\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : 0;
    c.header('cache-control', 'no-store');
    c.header('x-accel-buffering', 'no');
    return streamSSE(c, async (stream) => {
      const queue: Array<{ id: number; type: string }> = [];
      let wake: (() => void) | undefined;
      let closed = false;
      const stop = () => {
        closed = true;
        wake?.();
      };
      const unsubscribe = events.subscribe((e) => {
        queue.push(e);
        wake?.();
      });
      stream.onAbort(stop);
      options.shutdown?.addEventListener('abort', stop, { once: true });
      let sent = after;
      const send = async (e: { id: number; type: string }) => {
        if (e.id <= sent) return;
        sent = e.id;
        await stream.writeSSE({ id: String(e.id), event: e.type, data: JSON.stringify(e) });
      };
      try {
        // Tell the client how long to wait before reconnecting, then replay what it missed.
        await stream.write('retry: 1000\n: edgenn registry events\n\n');
        for (const e of events.since(after)) await send(e);
        while (!closed && !options.shutdown?.aborted) {
          while (queue.length) await send(queue.shift()!);
          let timer: NodeJS.Timeout | undefined;
          const woke = await new Promise<boolean>((resolve) => {
            wake = () => resolve(true);
            timer = setTimeout(() => resolve(false), heartbeatMs);
          });
          clearTimeout(timer);
          wake = undefined;
          if (!woke && !closed) await stream.write(': heartbeat\n\n');
        }
      } finally {
        unsubscribe();
        options.shutdown?.removeEventListener('abort', stop);
      }
    });
  });

  app.route('/', createDocsPages({ store, ...options.pages }));

  return installErrorHandling(app);
}
