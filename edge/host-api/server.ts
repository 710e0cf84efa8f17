// The host side of the inference API: one small HTTP server per deployment process, on its own
// Unix socket, so the socket a call arrives on says which deployment made it. It decodes binary
// tensors, checks the allow-list, and calls the InferenceRouter (which never loads anything).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { chmodSync, rmSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { EdgennError, errorHeaders, toEdgennError } from '../../wit/errors.ts';
import type { InferenceRouter } from '../contracts.ts';
import { resolveAllowed } from './allow-list.ts';
import { checkOutputNames, DEADLINE_HEADER, decodeFrame, encodeFrame, FRAME_CONTENT_TYPE, FrameError, KEY_HEADER } from './frame.ts';

/** Who is on the other end of one socket. Fixed when the socket is opened; nothing a handler sends changes it. */
export interface HostIdentity {
  deployment: string;
  version: number;
  /** The manifest's `models`: the allow-list. */
  models: readonly string[];
  /** Calls get at most this long (the request deadline the edge enforces anyway). */
  requestTimeoutMs: number;
  /** Per-process secret the binding sends (defence in depth beside the socket itself). */
  key: string;
}

export interface HostApiOptions {
  router: InferenceRouter;
  log?: (line: string) => void;
  /** Largest request body (tensors) a handler may send, in bytes. */
  maxBodyBytes?: number;
  /** Bytes of request bodies one deployment may have in flight at once; beyond, calls get `busy`. */
  maxInflightBytes?: number;
}

export interface HostListener {
  readonly socketPath: string;
  close(): Promise<void>;
}

export interface HostApi {
  listen(socketPath: string, identity: HostIdentity): Promise<HostListener>;
}


const REQUEST_ID_RE = /^[\w.:-]{1,128}$/;

export function createHostApi({ router, log = () => {}, maxBodyBytes = 256 * 1024 * 1024, maxInflightBytes = 512 * 1024 * 1024 }: HostApiOptions): HostApi {
  /** Bytes held per deployment socket: one tenant cannot fill the edge's memory with concurrent calls. */
  interface Budget {
    held: number;
  }

  async function readBody(req: IncomingMessage, budget: Budget, charge: (n: number) => void): Promise<Uint8Array> {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) throw new EdgennError('too-large', `inputs are ${declared} bytes; the host API takes at most ${maxBodyBytes}`);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      total += chunk.byteLength;
      if (total > maxBodyBytes) throw new EdgennError('too-large', `inputs exceed ${maxBodyBytes} bytes, the most the host API takes`);
      if (budget.held + chunk.byteLength > maxInflightBytes) {
        throw new EdgennError('busy', `this deployment already has ${budget.held} bytes of inputs in flight; retry when its other calls finish`, { retryAfter: 1 });
      }
      charge(chunk.byteLength);
      chunks.push(chunk);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  }

  function deadlineOf(req: IncomingMessage, identity: HostIdentity): number {
    const now = Date.now();
    const latest = now + identity.requestTimeoutMs;
    const asked = Number(req.headers[DEADLINE_HEADER]);
    return Number.isFinite(asked) && asked > 0 ? Math.min(asked, latest) : latest;
  }

  function sendError(res: ServerResponse, err: unknown, requestId: string | undefined): void {
    const e = err instanceof FrameError ? new EdgennError(err.code, err.message) : toEdgennError(err);
    const body = JSON.stringify({ error: { code: e.code, message: e.message, retryable: e.retryable, ...(e.retryAfter !== undefined ? { retryAfter: e.retryAfter } : {}), ...(requestId ? { requestId } : {}) } });
    if (res.headersSent) return void res.destroy();
    res.writeHead(e.status, { 'content-type': 'application/json', ...errorHeaders(e) }).end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, identity: HostIdentity, key: Buffer, budget: Budget): Promise<void> {
    const rid = req.headers['x-request-id'];
    const requestId = typeof rid === 'string' && REQUEST_ID_RE.test(rid) ? rid : undefined;
    let charged = 0;
    const charge = (n: number) => {
      charged += n;
      budget.held += n;
    };
    try {
      const given = Buffer.from(String(req.headers[KEY_HEADER] ?? ''));
      if (given.length !== key.length || !timingSafeEqual(given, key)) throw new EdgennError('security', 'this socket serves one deployment process; the caller did not prove it is that process');
      if (req.method !== 'POST') throw new EdgennError('invalid-argument', 'the host API takes POST /run and POST /describe');
      const body = await readBody(req, budget, charge);
      if (req.url === '/run') {
        const { meta, tensors } = decodeFrame(body);
        const ref = resolveAllowed(meta.model, identity.models);
        const wanted = checkOutputNames(meta.outputs);
        const outputs = await router.run(ref, tensors, { deadline: deadlineOf(req, identity), ...(wanted ? { outputs: wanted } : {}), ...(requestId ? { requestId } : {}) });
        const frame = encodeFrame({}, outputs);
        res.writeHead(200, { 'content-type': FRAME_CONTENT_TYPE, 'content-length': frame.byteLength });
        res.end(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
        return;
      }
      if (req.url === '/describe') {
        let model: unknown;
        try {
          model = (JSON.parse(Buffer.from(body).toString('utf8')) as { model?: unknown }).model;
        } catch {
          throw new EdgennError('invalid-encoding', 'describe takes a JSON body { "model": "name" }');
        }
        const ref = resolveAllowed(model, identity.models);
        const manifest = router.describe(ref);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ref, signature: manifest.signature }));
        return;
      }
      throw new EdgennError('not-found', `no host API route ${req.url}; the binding calls /run and /describe`);
    } catch (err) {
      const e = err instanceof FrameError ? new EdgennError(err.code, err.message) : toEdgennError(err);
      if (e.code === 'unknown' || e.code === 'runtime-error') log(`host-api: ${identity.deployment}@${identity.version} ${req.url}: ${e.code}: ${e.message}`);
      sendError(res, e, requestId);
    } finally {
      budget.held -= charged;
    }
  }

  return {
    async listen(socketPath, identity) {
      const key = Buffer.from(identity.key);
      const budget: Budget = { held: 0 };
      const server: Server = createServer({ keepAlive: true }, (req, res) => void handle(req, res, identity, key, budget));
      // workerd keeps its connections to an external service open between calls.
      server.keepAliveTimeout = 60_000;
      rmSync(socketPath, { force: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
      chmodSync(socketPath, 0o600);
      return {
        socketPath,
        async close() {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
          rmSync(socketPath, { force: true });
        },
      };
    },
  };
}
