// The model-host's HTTP API: KServe Open Inference Protocol v2 (health, metadata, infer with
// JSON or binary tensors) and Triton's repository extension (index, load, unload), plus /metrics.
// Routes only ask the manager for ready models; loading happens in the lifecycle (`ensure`).
import { IncomingMessage } from 'node:http';
import { Hono, type Context } from 'hono';
import { requestIds } from '../wit/http.ts';
import { EdgennError, toEdgennError } from '../wit/errors.ts';
import { parseRef, type ModelRef, type TensorSpec } from '../registry/manifest.ts';
import type { RegistryClient } from '../registry/client-types.ts';
import type { ModelManager } from './engine/manager.ts';
import type { ModelStatus, ReadyModel } from './engine/types.ts';
import { DEADLINE_HEADER } from './client.ts';
import { createModelHostMetrics, type ModelHostMetrics } from './metrics.ts';
import { HEADER_LENGTH, decodeInferRequest, encodeInferResponse, toV2Datatype } from './v2/codec.ts';
import { runProbe } from './probes.ts';

/** What the app needs from the engine's model manager: a synchronous `get` for requests, the rest for the repository API. */
export type HostModelManager = Pick<ModelManager, 'get' | 'ensure' | 'route' | 'unload' | 'status'>;

export interface ModelHostAppOptions {
  manager: HostModelManager;
  /** Needed for repository load (name or version → manifest); without it load answers 501-like `unsupported-operation`. */
  registry?: RegistryClient;
  metrics?: ModelHostMetrics;
  /**
   * The refs that must be ready before the host is: undefined while the preload list is still
   * being resolved (ready is then false, never vacuously true).
   */
  preloads: () => readonly string[] | undefined;
  /** Largest infer body accepted, in bytes (default 256 MiB). */
  maxBodyBytes?: number;
  /** Seconds sent in Retry-After for a model that is not ready (default 1). */
  retryAfterSeconds?: number;
  /** Enables POST /__test/probe (sandbox tests only). */
  testProbes?: boolean;
  serverVersion?: string;
}

const TRITON_STATE: Record<ModelStatus['state'], string> = { loading: 'LOADING', warming: 'LOADING', ready: 'READY', draining: 'UNLOADING', unloaded: 'UNAVAILABLE', failed: 'UNAVAILABLE' };

/** v2 error body: the protocol's `{ "error": "<message>" }`, with our `code` and `retryable` beside it. */
function v2Error(c: Context, err: unknown): Response {
  const e = toEdgennError(err);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (e.status === 503) headers['retry-after'] = String(e.retryAfter ?? 1);
  return new Response(JSON.stringify({ error: e.message, code: e.code, retryable: e.retryable, requestId: c.get('requestId' as never) }), { status: e.status, headers });
}

function dims(spec: TensorSpec): number[] {
  return spec.shape.map((d) => (typeof d === 'number' ? d : -1));
}

function tensorMeta(spec: TensorSpec): { name: string; datatype: string; shape: number[] } {
  return { name: spec.name, datatype: toV2Datatype(spec.type), shape: dims(spec) };
}

function tooLarge(max: number): EdgennError {
  return new EdgennError('too-large', `the request body is larger than the ${max} bytes this model-host accepts; send smaller batches`);
}

/**
 * Reads the body, at most `max` bytes. Served by @hono/node-server, the Node request is read
 * directly (c.env.incoming): the web-stream wrapper around it cost ~250 µs per request in the
 * bench. Called through app.request (tests) or any other adapter, it reads the web stream.
 */
async function readBody(c: Context, max: number): Promise<Uint8Array> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > max) throw new EdgennError('too-large', `the request body has ${declared} bytes, more than the ${max} this model-host accepts; send smaller batches`);
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (incoming instanceof IncomingMessage && !incoming.readableDidRead) return readIncoming(incoming, max);
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** Collects a Node request body up to `max` bytes; past it, stops reading (the adapter drains the rest after the answer). */
function readIncoming(incoming: IncomingMessage, max: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err: unknown, body?: Uint8Array): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
      if (err) reject(err);
      else resolve(body!);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.byteLength;
      if (size > max) {
        incoming.pause();
        finish(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    const onError = (err: Error): void => finish(new EdgennError('invalid-argument', `the request body could not be read (${err.message}); send it again`));
    const onClose = (): void => finish(new EdgennError('invalid-argument', 'the connection closed before the request body was complete; send it again'));
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
    if (incoming.readableEnded) onEnd();
  });
}

function deadlineOf(c: Context): number | undefined {
  const raw = c.req.header(DEADLINE_HEADER);
  if (raw === undefined) return undefined;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms <= 0) throw new EdgennError('invalid-argument', `${DEADLINE_HEADER} must be a positive number of milliseconds, got '${raw.slice(0, 40)}'`);
  return Date.now() + ms;
}

/** Answers `timeout` at the deadline even when the model is still running (the result is then dropped). */
function withDeadline<T>(work: Promise<T>, deadline: number | undefined, what: string): Promise<T> {
  if (deadline === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new EdgennError('timeout', `${what} did not finish before the request's deadline; retry with a longer ${DEADLINE_HEADER}`)), Math.max(0, deadline - Date.now()));
    work.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}

export function createModelHostApp(opts: ModelHostAppOptions): Hono {
  const { manager } = opts;
  const metrics = opts.metrics ?? createModelHostMetrics();
  const maxBody = opts.maxBodyBytes ?? 256 * 1024 * 1024;
  const app = new Hono();
  app.use('*', requestIds());
  app.onError((err, c) => {
    const status = (err as { status?: number }).status;
    if (!(err instanceof EdgennError) && typeof status === 'number' && status >= 400 && status < 500) return v2Error(c, new EdgennError('invalid-argument', err.message));
    return v2Error(c, err);
  });
  app.notFound((c) => v2Error(c, new EdgennError('not-found', `no route for ${c.req.method} ${c.req.path}; the model-host speaks KServe v2 under /v2`)));

  const ref = (name: string, version?: string): string => (version ? `${name}@${version}` : name);
  const parsed = (r: string): ModelRef => {
    const p = parseRef(r);
    if (!p) throw new EdgennError('invalid-argument', `'${r.slice(0, 200)}' is not a model reference; use name, name@version or name@alias`);
    return p;
  };
  /** A ready model or the manager's typed error, with our Retry-After on `unavailable`. */
  const ready = (name: string, version?: string): ReadyModel => {
    const r = parsed(ref(name, version));
    try {
      return manager.get(r);
    } catch (err) {
      const e = toEdgennError(err);
      if (e.code === 'unavailable' && e.retryAfter === undefined) throw new EdgennError('unavailable', e.message, { retryAfter: opts.retryAfterSeconds ?? 1, cause: e });
      throw e;
    }
  };

  function notReadyReason(): string | undefined {
    const list = opts.preloads();
    if (list === undefined) return 'still resolving and warming its preload list';
    for (const r of list) {
      try {
        manager.get(parsed(r));
      } catch (err) {
        return `preload '${r}' is not ready (${toEdgennError(err).message})`;
      }
    }
    return undefined;
  }

  app.get('/v2/health/live', (c) => c.json({ live: true }));
  app.get('/v2/health/ready', (c) => {
    const reason = notReadyReason();
    if (reason) return c.json({ ready: false, reason }, 503, { 'retry-after': '1' });
    return c.json({ ready: true });
  });
  app.get('/v2', (c) => c.json({ name: 'edgenn-model-host', version: opts.serverVersion ?? '0.1.0', extensions: ['binary_tensor_data', 'model_repository', 'edgenn_deadline'] }));

  const metadata = (c: Context): Response => {
    const { name, version } = c.req.param() as { name: string; version?: string };
    const m = ready(name, version);
    const status = manager.status().find((s) => s.name === m.manifest.name && s.version === m.manifest.version);
    return c.json({
      name: m.manifest.name,
      versions: [...new Set(manager.status().filter((s) => s.name === name && s.state === 'ready').map((s) => s.version))],
      version: m.manifest.version,
      platform: 'onnxruntime_onnx',
      provider: m.provider,
      state: status?.state ?? 'ready',
      digest: m.manifest.digest,
      inputs: m.manifest.signature.inputs.map(tensorMeta),
      outputs: m.manifest.signature.outputs.map(tensorMeta),
    });
  };
  app.get('/v2/models/:name', metadata);
  app.get('/v2/models/:name/versions/:version', metadata);

  const modelReady = (c: Context): Response => {
    const { name, version } = c.req.param() as { name: string; version?: string };
    ready(name, version);
    return c.json({ name, ready: true });
  };
  app.get('/v2/models/:name/ready', modelReady);
  app.get('/v2/models/:name/versions/:version/ready', modelReady);

  const infer = async (c: Context): Promise<Response> => {
    const started = performance.now();
    const { name, version } = c.req.param() as { name: string; version?: string };
    // Labels come from a resolved model only: arbitrary names in URLs must not mint new series.
    let labels = { model: '(unresolved)', version: '' };
    try {
      const deadline = deadlineOf(c);
      const model = ready(name, version);
      labels = { model: model.manifest.name, version: model.manifest.version };
      const req = decodeInferRequest(await readBody(c, maxBody), c.req.header(HEADER_LENGTH));
      const outputs = await withDeadline(
        model.infer(req.inputs, { ...(deadline !== undefined ? { deadline } : {}), ...(req.outputs ? { outputs: req.outputs } : {}) }),
        deadline,
        `inference on '${labels.model}@${labels.version}'`,
      );
      const encoded = encodeInferResponse(outputs, { modelName: labels.model, modelVersion: labels.version, ...(req.id ? { id: req.id } : {}), binaryOutput: req.binaryOutput });
      metrics.request(labels.model, labels.version, (performance.now() - started) / 1000);
      return new Response(encoded.body, { status: 200, headers: encoded.headers });
    } catch (err) {
      const e = toEdgennError(err);
      metrics.request(labels.model, labels.version, (performance.now() - started) / 1000, e.code);
      return v2Error(c, e);
    }
  };
  app.post('/v2/models/:name/infer', infer);
  app.post('/v2/models/:name/versions/:version/infer', infer);

  // ---- Triton repository extension: lifecycle work, answered when done.
  const bodyJson = async (c: Context): Promise<Record<string, unknown>> => {
    const text = Buffer.from(await readBody(c, 64 * 1024)).toString('utf8');
    if (!text.trim()) return {};
    try {
      const v = JSON.parse(text) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    } catch {
      throw new EdgennError('invalid-encoding', 'the body must be JSON, e.g. {"parameters":{"version":"1.2.0"}}');
    }
  };
  const versionParam = (body: Record<string, unknown>): string | undefined => {
    const v = (body.parameters as Record<string, unknown> | undefined)?.version;
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw new EdgennError('invalid-argument', 'parameters.version must be a version or an alias such as "1.2.0" or "stable"');
    return v;
  };

  app.post('/v2/repository/index', async (c) => {
    const body = await bodyJson(c);
    const list = manager.status().filter((s) => body.ready !== true || s.state === 'ready');
    return c.json(list.map((s) => ({ name: s.name, version: s.version, state: TRITON_STATE[s.state], reason: s.error?.message ?? '', edgenn: s })));
  });

  app.post('/v2/repository/models/:name/load', async (c) => {
    const name = c.req.param('name');
    const selector = versionParam(await bodyJson(c));
    if (!opts.registry) throw new EdgennError('unsupported-operation', 'this model-host has no registry to load from; start it with --registry URL');
    const manifest = await opts.registry.resolve(ref(name, selector));
    await manager.ensure(manifest);
    // Routes move only now that the new version is ready: the alias the caller named, and the bare
    // name when this is the registry's latest. The old version drains in the background.
    const selectors = selector && selector !== manifest.version ? [selector] : [];
    const latest = selector ? await opts.registry.resolve(name).catch(() => undefined) : manifest;
    if (latest?.version === manifest.version) selectors.push('');
    for (const s of selectors) manager.route(name, s, manifest.version).catch(() => {});
    return c.json({ name, version: manifest.version, state: 'READY' });
  });

  app.post('/v2/repository/models/:name/unload', async (c) => {
    const name = c.req.param('name');
    const version = versionParam(await bodyJson(c));
    const versions = version ? [version] : [...new Set(manager.status().filter((s) => s.name === name && s.state !== 'unloaded').map((s) => s.version))];
    if (versions.length === 0) throw new EdgennError('not-found', `model '${name}' is not loaded here`);
    await Promise.all(versions.map((v) => manager.unload(name, v)));
    return c.json({ name, ...(version ? { version } : {}), state: 'UNAVAILABLE' });
  });

  app.get('/metrics', async (c) => c.text(await metrics.text(), 200, { 'content-type': metrics.registry.contentType }));

  if (opts.testProbes) {
    app.post('/__test/probe', async (c) => c.json(await runProbe(await bodyJson(c))));
  }
  return app;
}
