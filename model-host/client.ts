// A KServe v2 client (the local model-host over a Unix socket, or Triton / KServe over HTTP):
// keep-alive pool, binary tensors both ways, protocol errors turned back into EdgennError.
// Every request has a timeout; a refused or reset connection is `unavailable` at once.
import http from 'node:http';
import type { InferenceClient } from '../edge/contracts.ts';
import { EdgennError, isServiceCode, type ServiceCode } from '../wit/errors.ts';
import type { NamedTensors } from '../wit/types.ts';
import type { InferOptions, ModelState, ModelStatus } from './engine/types.ts';
import { HEADER_LENGTH, decodeInferResponse, encodeInferRequest } from './v2/codec.ts';

/** Milliseconds the caller will still wait for this answer; past it the server answers 504. */
export const DEADLINE_HEADER = 'x-edgenn-deadline-ms';

export type V2ClientOptions = ({ socketPath: string; url?: undefined } | { url: string; socketPath?: undefined }) & {
  /** Per-request limit when the caller gives no deadline (default 30 s). */
  timeoutMs?: number;
  /** Limit for repository load, which fetches and warms a model (default 10 min). */
  loadTimeoutMs?: number;
  /** Connections kept per server (default 64). */
  maxSockets?: number;
  /** Send and ask for binary tensors (default true); false sends JSON tensors. */
  binary?: boolean;
};

export interface V2Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface V2Client extends InferenceClient {
  /** A raw request to the server (for metadata, metrics, tests). Throws only for transport failures. */
  request(method: string, path: string, body?: Uint8Array | string, headers?: Record<string, string>, timeoutMs?: number): Promise<V2Response>;
  live(): Promise<boolean>;
}

/** Triton's repository index states → ours (for a Triton or KServe server that does not send ours). */
const TRITON_STATE: Record<string, ModelState> = { READY: 'ready', LOADING: 'loading', UNLOADING: 'draining', UNAVAILABLE: 'unloaded' };

const STATUS_CODE: Record<number, ServiceCode> = { 400: 'invalid-argument', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 409: 'conflict', 413: 'too-large', 422: 'unsupported-operation', 429: 'busy', 503: 'unavailable', 504: 'timeout' };

const TRANSPORT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ERR_SOCKET_CLOSED']);

/** A protocol error response → EdgennError with the server's code, or one derived from the status. */
export function errorFromResponse(res: V2Response, what: string): EdgennError {
  let message = `${what}: HTTP ${res.status}`;
  let code: ServiceCode | undefined;
  try {
    const body = JSON.parse(res.body.toString('utf8')) as { error?: unknown; code?: unknown };
    const e = body.error;
    if (typeof e === 'string') message = e;
    else if (e && typeof e === 'object') {
      const o = e as { message?: unknown; code?: unknown };
      if (typeof o.message === 'string') message = o.message;
      if (isServiceCode(o.code)) code = o.code;
    }
    if (isServiceCode(body.code)) code = body.code;
  } catch {
    const text = res.body.toString('utf8').trim();
    if (text) message = `${what}: HTTP ${res.status}: ${text.slice(0, 300)}`;
  }
  code ??= STATUS_CODE[res.status] ?? (res.status >= 500 ? 'runtime-error' : 'invalid-argument');
  const retryAfter = Number(res.headers['retry-after']);
  return new EdgennError(code, message, Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfter } : undefined);
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function modelPath(name: string, version?: string): string {
  return `/v2/models/${enc(name)}${version ? `/versions/${enc(version)}` : ''}`;
}

export function createV2Client(options: V2ClientOptions): V2Client {
  const target = options.socketPath ? { socketPath: options.socketPath } : new URL(options.url!);
  const where = options.socketPath ? `the model-host at ${options.socketPath}` : `the inference server at ${options.url}`;
  const defaultTimeout = options.timeoutMs ?? 30_000;
  const loadTimeout = options.loadTimeoutMs ?? 600_000;
  const binary = options.binary ?? true;
  // Free sockets close before the server's keep-alive timeout (65 s in main.ts), so a reused socket is rarely stale.
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64, timeout: 30_000, scheduling: 'lifo' });
  let closed = false;

  function once(method: string, path: string, body: Uint8Array | string | undefined, headers: Record<string, string>, timeoutMs: number): Promise<V2Response & { reused: boolean }> {
    return new Promise((resolve, reject) => {
      let reused = false;
      const base = target instanceof URL ? { host: target.hostname, port: target.port || 80, path: `${target.pathname.replace(/\/$/, '')}${path}` } : { socketPath: target.socketPath, path };
      const req = http.request({ ...base, method, agent, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), reused });
        });
        res.on('error', fail);
        res.on('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      });
      req.on('socket', () => {
        reused = req.reusedSocket;
      });
      const timer = setTimeout(() => {
        req.destroy(new EdgennError('timeout', `${where} did not answer ${method} ${path} within ${timeoutMs} ms; retry, or raise the deadline`));
      }, timeoutMs);
      function fail(err: unknown): void {
        clearTimeout(timer);
        const e = err as NodeJS.ErrnoException;
        if (err instanceof EdgennError) return reject(err);
        if (e.code && TRANSPORT_CODES.has(e.code)) {
          return reject(Object.assign(new EdgennError('unavailable', `${where} is not reachable (${e.code}); it may be restarting, retry shortly`, { retryAfter: 1, cause: err }), { reused }));
        }
        reject(new EdgennError('unavailable', `${where}: ${e.message}`, { retryAfter: 1, cause: err }));
      }
      req.on('error', fail);
      req.end(body);
    });
  }

  async function request(method: string, path: string, body?: Uint8Array | string, headers: Record<string, string> = {}, timeoutMs = defaultTimeout): Promise<V2Response> {
    if (closed) throw new EdgennError('unavailable', `the client for ${where} is closed`);
    try {
      return await once(method, path, body, headers, timeoutMs);
    } catch (err) {
      // A kept-alive socket the server closed meanwhile: one fresh try, never more.
      if ((err as { reused?: boolean }).reused && (err as EdgennError).code === 'unavailable') return once(method, path, body, headers, timeoutMs);
      throw err;
    }
  }

  async function json(method: string, path: string, what: string, body?: unknown, timeoutMs?: number): Promise<unknown> {
    const res = await request(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? {} : { 'content-type': 'application/json' }, timeoutMs);
    if (res.status >= 400) throw errorFromResponse(res, what);
    return res.body.byteLength ? JSON.parse(res.body.toString('utf8')) : {};
  }

  return {
    request,

    async infer(name: string, version: string, inputs: NamedTensors, opts: InferOptions & { requestId?: string } = {}): Promise<NamedTensors> {
      let timeoutMs = defaultTimeout;
      const headers: Record<string, string> = {};
      if (opts.deadline !== undefined) {
        const left = Math.floor(opts.deadline - Date.now());
        if (left <= 0) throw new EdgennError('timeout', `the deadline for '${name}' passed before the request was sent`);
        headers[DEADLINE_HEADER] = String(left);
        timeoutMs = left + 250; // the server answers 504 at the deadline; this only catches a server that does not
      }
      if (opts.requestId) headers['x-request-id'] = opts.requestId;
      const encoded = encodeInferRequest(inputs, { binaryInputs: binary, binaryOutputs: binary, ...(opts.outputs ? { outputs: opts.outputs } : {}), ...(opts.requestId ? { id: opts.requestId } : {}) });
      const res = await request('POST', `${modelPath(name, version)}/infer`, encoded.body, { ...encoded.headers, ...headers }, timeoutMs);
      if (res.status >= 400) throw errorFromResponse(res, `inference on '${name}'`);
      const h = res.headers[HEADER_LENGTH];
      try {
        return decodeInferResponse(res.body, Array.isArray(h) ? h[0] : h).outputs;
      } catch (err) {
        throw new EdgennError('runtime-error', `${where} sent an unreadable infer response: ${(err as Error).message}`, { cause: err });
      }
    },

    async load(name: string, version: string): Promise<void> {
      await json('POST', `/v2/repository/models/${enc(name)}/load`, `loading '${name}${version ? `@${version}` : ''}'`, version ? { parameters: { version } } : {}, loadTimeout);
    },

    async unload(name: string, version?: string): Promise<void> {
      await json('POST', `/v2/repository/models/${enc(name)}/unload`, `unloading '${name}'`, version ? { parameters: { version } } : {});
    },

    async ready(): Promise<boolean> {
      try {
        return (await request('GET', '/v2/health/ready', undefined, {}, 5_000)).status === 200;
      } catch {
        return false;
      }
    },

    async live(): Promise<boolean> {
      try {
        return (await request('GET', '/v2/health/live', undefined, {}, 5_000)).status === 200;
      } catch {
        return false;
      }
    },

    async models(): Promise<ModelStatus[]> {
      const list = (await json('POST', '/v2/repository/index', 'listing models', {})) as Array<{ name: string; version?: string; state?: string; reason?: string; edgenn?: ModelStatus }>;
      return list.map(
        (m) =>
          m.edgenn ?? {
            name: m.name,
            version: m.version ?? '',
            digest: '',
            state: TRITON_STATE[m.state ?? ''] ?? 'unloaded',
            pinned: false,
            ...(m.reason ? { error: { code: 'unknown', message: m.reason } } : {}),
          },
      );
    },

    async close(): Promise<void> {
      closed = true;
      agent.destroy();
    },
  };
}
