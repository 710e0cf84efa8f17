// The registry over HTTP, for the model-host, the edge and the CLI: reads, verified blob
// downloads, streamed publishes with progress, aliases and the resumable change feed.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EdgennError, isServiceCode } from '../wit/errors.ts';
import type { RegistryClient } from './client-types.ts';
import type { ModelManifest, ModelRecord } from './manifest.ts';
import type { PublishMetadata, PublishResult, RegistryEvent } from './store.ts';

export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:8787';

export interface RegistryClientOptions {
  url: string;
  token?: string;
  /** Longest wait between event-feed reconnects (default 10 s); the first is 250 ms. */
  maxBackoffMs?: number;
}

/** The HTTP client: RegistryClient plus the writes only the CLI needs. */
export interface HttpRegistryClient extends RegistryClient {
  deleteVersion(name: string, version: string, options?: { force?: boolean }): Promise<{ removedAliases: string[] }>;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

const EVENT_TYPES = new Set<RegistryEvent['type']>(['published', 'alias-moved', 'deleted']);

/** Turns a non-2xx answer into the EdgennError the server described. */
async function toError(res: Response, what: string): Promise<EdgennError> {
  let body: { error?: { code?: unknown; message?: unknown } } | undefined;
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // not JSON: a proxy or another server answered
  }
  const code = isServiceCode(body?.error?.code) ? body!.error!.code : res.status >= 500 ? 'unavailable' : res.status === 404 ? 'not-found' : 'unknown';
  const message = typeof body?.error?.message === 'string' ? body.error.message : `${what}: the registry answered HTTP ${res.status}`;
  return new EdgennError(code, message);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/** A minimal Server-Sent Events parser (WHATWG rules: comments, multi-line data, CR/LF). */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buf = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1));
        if (line === '') {
          if (data.length) yield { ...(id !== undefined ? { id } : {}), event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
        else if (field === 'id' && !value.includes('\0')) id = value;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

export function createRegistryClient(options: RegistryClientOptions): HttpRegistryClient {
  const url = options.url.replace(/\/+$/, '');
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;

  async function call(path: string, init: RequestInit & { duplex?: 'half' } = {}, what = path): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string> | undefined) } });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new EdgennError('unavailable', `the registry at ${url} is unreachable (${cause?.code ?? cause?.message ?? (err as Error).message}); start it with 'edgenn registry' or pass --registry URL`, { cause: err });
    }
    if (!res.ok) throw await toError(res, what);
    return res;
  }
  const getJson = async <T>(path: string): Promise<T> => (await call(path)).json() as Promise<T>;
  const seg = encodeURIComponent;

  const client: HttpRegistryClient = {
    url,

    async list() {
      const { models } = await getJson<{ models: Array<ModelRecord & { latest?: unknown }> }>('/v1/models');
      return models.map(({ latest: _latest, ...record }) => record);
    },

    async get(name) {
      const { latest: _latest, ...record } = await getJson<ModelRecord & { latest?: unknown }>(`/v1/models/${seg(name)}`);
      return record;
    },

    resolve(ref) {
      return getJson<ModelManifest>(`/v1/resolve/${seg(ref)}`);
    },

    async fetchBlob(digest, destPath, onProgress) {
      if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new EdgennError('invalid-argument', `'${digest.slice(0, 80)}' is not a sha256 digest`);
      const res = await call(`/v1/blobs/${digest}`);
      const total = Number(res.headers.get('content-length') ?? 0);
      await mkdir(dirname(destPath), { recursive: true });
      const tmp = join(dirname(destPath), `.${basename(destPath)}.part-${randomUUID()}`);
      const hash = createHash('sha256');
      let received = 0;
      const fh = await open(tmp, 'wx', 0o644);
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          hash.update(chunk);
          await fh.write(chunk);
          received += chunk.byteLength;
          onProgress?.(received, total);
        }
        await fh.sync();
        await fh.close();
        const got = `sha256:${hash.digest('hex')}`;
        if (got !== digest) throw new EdgennError('invalid-encoding', `downloaded blob hashes to ${got}, expected ${digest}; the download was corrupted, fetch it again`);
        await rename(tmp, destPath);
      } catch (err) {
        await fh.close().catch(() => {});
        await rm(tmp, { force: true });
        throw err;
      }
    },

    async publish(filePath, meta, onProgress) {
      const total = (await stat(filePath)).size;
      const q = new URLSearchParams();
      for (const k of ['description', 'license', 'task', 'placement'] as const) if (meta[k] !== undefined) q.set(k, meta[k]!);
      if (meta.preload !== undefined) q.set('preload', String(meta.preload));
      for (const [k, v] of Object.entries(meta.labels ?? {})) q.append('label', `${k}=${v}`);
      for (const a of meta.aliases ?? []) q.append('alias', a);
      let sent = 0;
      async function* body(): AsyncGenerator<Uint8Array> {
        for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20 })) {
          sent += (chunk as Buffer).byteLength;
          yield chunk as Buffer;
          onProgress?.(sent, total);
        }
      }
      const query = q.toString();
      const path = `/v1/models/${seg(meta.name)}/versions/${seg(meta.version)}`;
      // Preflight: auth, names, metadata and size are refused here, before a byte is streamed.
      const check = (await (await call(`${path}/check?${query}${query ? '&' : ''}size=${total}`, { method: 'POST' }, `publish ${meta.name}@${meta.version}`)).json()) as { existing: ModelManifest | null };
      if (check.existing) {
        const digest = await sha256File(filePath);
        if (digest !== check.existing.digest) {
          throw new EdgennError('already-exists', `model '${meta.name}' version ${meta.version} already exists with digest ${check.existing.digest} (this file is ${digest}); versions are immutable, publish this file as a new version`);
        }
        for (const a of meta.aliases ?? []) await client.setAlias(meta.name, a, meta.version);
        onProgress?.(total, total);
        return { manifest: check.existing, created: false };
      }
      const res = await call(
        `${path}${query ? `?${query}` : ''}`,
        { method: 'PUT', body: body() as unknown as RequestInit['body'], duplex: 'half', headers: { 'content-type': 'application/octet-stream', 'content-length': String(total) } },
        `publish ${meta.name}@${meta.version}`,
      );
      return (await res.json()) as PublishResult;
    },

    async setAlias(name, alias, version) {
      await call(`/v1/models/${seg(name)}/aliases/${seg(alias)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version }) });
    },

    async deleteVersion(name, version, opts = {}) {
      const res = await call(`/v1/models/${seg(name)}/versions/${seg(version)}${opts.force ? '?force=true' : ''}`, { method: 'DELETE' });
      const { removedAliases } = (await res.json()) as { removedAliases: string[] };
      return { removedAliases };
    },

    async *events({ lastEventId, signal }) {
      let last = lastEventId ?? 0;
      let backoff = 250;
      while (!signal.aborted) {
        try {
          const res = await call('/v1/events', { headers: { accept: 'text/event-stream', 'last-event-id': String(last) }, signal });
          for await (const msg of parseSse(res.body!)) {
            if (!EVENT_TYPES.has(msg.event as RegistryEvent['type'])) continue;
            const event = JSON.parse(msg.data) as RegistryEvent;
            if (event.id <= last) continue;
            last = event.id;
            backoff = 250;
            yield event;
          }
        } catch (err) {
          if (signal.aborted) return;
          // Auth and bad requests will not fix themselves: stop and say so.
          if (err instanceof EdgennError && !err.retryable && err.code !== 'unknown') throw err;
        }
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, maxBackoffMs);
      }
    },
  };
  return client;
}
