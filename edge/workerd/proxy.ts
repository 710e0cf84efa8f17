// Forwards one request to a workerd process over its Unix socket (keep-alive pool, bodies
// streamed both ways) under the deployment's deadline; the caller decides what an overrun costs.
import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { EdgennError, errorBody, errorHeaders } from '../../wit/errors.ts';
import { DEADLINE_REQUEST_HEADER, PROBE_HEADER } from './config.ts';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export function errorResponse(err: EdgennError, requestId: string): Response {
  return new Response(JSON.stringify(errorBody(err, requestId)), {
    status: err.status,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...errorHeaders(err) },
  });
}

function responseHeaders(res: IncomingMessage): Headers {
  const h = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name)) h.append(name, raw[i + 1]!);
  }
  return h;
}

/** Asks a process's entry module, before any user code, whether the handler loaded and has fetch(). */
export function probe(socketPath: string, token: string, timeoutMs: number): Promise<{ hasFetch: boolean; hasDefault: boolean; exports: string[] }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath, path: '/', method: 'GET', headers: { host: 'edgenn-probe', [PROBE_HEADER]: token }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          if (res.statusCode !== 200) throw new Error(text);
          resolve(JSON.parse(text));
        } catch {
          reject(new Error(text.trim() || `probe answered HTTP ${res.statusCode}`));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('probe timed out')));
    req.on('error', reject);
    req.end();
  });
}

export interface ForwardOptions {
  socketPath: string;
  agent: Agent;
  request: Request;
  requestId: string;
  timeoutMs: number;
  /** Whether a request that hit a stale kept-alive connection may be sent again. */
  canRetry(): boolean;
  /** No response headers by the deadline: the request is already answered 504. */
  onHeadersDeadline(): void;
  /** Headers came, the body did not finish by the deadline: the body is already cut. */
  onBodyDeadline(): void;
  /** The connection broke before a response: what to answer. */
  failure(err: Error): Promise<EdgennError>;
  /** Called exactly once, when the exchange is over one way or another. */
  onFinish(): void;
}

/** Never rejects: every failure becomes an error response. */
export function forward(o: ForwardOptions): Promise<Response> {
  const { request, requestId, timeoutMs } = o;
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    // Clients may not speak for the edge: every x-edgenn-* header is the edge's alone.
    if (HOP_BY_HOP.has(name) || name.startsWith('x-edgenn-')) return;
    headers[name] = value;
  });
  headers.host = url.host;
  headers['x-request-id'] = requestId;
  headers[DEADLINE_REQUEST_HEADER] = String(Date.now() + timeoutMs);
  const hasBody = request.body !== null && request.method !== 'GET' && request.method !== 'HEAD';

  return new Promise<Response>((resolve) => {
    let settled = false;
    let bodyStream: IncomingMessage | undefined;
    let retried = false;
    let finished = false;
    const answer = (r: Response) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const timer = setTimeout(() => {
      if (!settled) {
        answer(errorResponse(new EdgennError('timeout', `the handler did not answer within ${timeoutMs} ms (limits.requestTimeoutMs); its process was restarted`), requestId));
        req.destroy();
        o.onHeadersDeadline();
      } else if (bodyStream && !bodyStream.complete) {
        bodyStream.destroy(new Error(`the handler's response body did not finish within ${timeoutMs} ms`));
        o.onBodyDeadline();
      }
    }, timeoutMs);
    const onAbort = () => req.destroy(new Error('client went away'));
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      if (finished) return;
      finished = true;
      o.onFinish();
    };

    const send = () => {
      const r = httpRequest({ socketPath: o.socketPath, agent: o.agent, method: request.method, path: url.pathname + url.search, headers });
      r.on('response', (res) => {
        bodyStream = res;
        res.once('end', done);
        res.once('close', done);
        const status = res.statusCode ?? 502;
        const nullBody = request.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
        const body = nullBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
        if (nullBody) res.resume();
        answer(new Response(body, { status, headers: responseHeaders(res) }));
      });
      // Closed before any response (deadline, client gone): over too. Not for one being retried.
      r.once('close', () => {
        if (!bodyStream && req === r) done();
      });
      r.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return done();
        // A kept-alive connection workerd closed while idle: the request never reached the
        // handler, so a body-less request is sent once more on a fresh connection.
        if (r.reusedSocket && !hasBody && !retried && o.canRetry() && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          retried = true;
          req = send();
          return;
        }
        done();
        void o.failure(err).then((e) => answer(errorResponse(e, requestId)));
      });
      if (hasBody) {
        const source = Readable.fromWeb(request.body as unknown as NodeReadableStream<Uint8Array>);
        source.on('error', (err) => r.destroy(err));
        source.pipe(r);
      } else {
        r.end();
      }
      return r;
    };
    let req = send();
  });
}
