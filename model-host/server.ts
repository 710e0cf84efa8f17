// The model-host's listener (the one module here that imports @hono/node-server): a Unix socket
// created with mode 0600, or TCP on 127.0.0.1; keep-alive and header/body timeouts set.
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { existsSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';

export interface ListenOptions {
  socketPath?: string;
  port?: number;
  /** TCP host (default 127.0.0.1). */
  host?: string;
  /** Longer than the client's free-socket timeout (30 s), so the client closes idle sockets first. */
  keepAliveTimeoutMs?: number;
  /** Time to receive request headers (default 15 s). */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, body included (default 120 s). */
  requestTimeoutMs?: number;
}

export interface Listening {
  server: Server;
  /** `unix:/path` or `http://127.0.0.1:port`. */
  address: string;
  port?: number;
  close(): Promise<void>;
}

/** A socket file nobody answers on is stale (its process died): remove it. A live one is refused. */
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another process already listens on ${path}; stop it or choose another --socket`);
  unlinkSync(path);
}

export async function listen(app: Hono, opts: ListenOptions): Promise<Listening> {
  const headersTimeout = opts.headersTimeoutMs ?? 15_000;
  const requestTimeout = opts.requestTimeoutMs ?? 120_000;
  // Node enforces header/request timeouts only when it sweeps its connections, every 30 s by
  // default (and only set at creation): sweep at a quarter of the shorter timeout, 100 ms – 5 s.
  const connectionsCheckingInterval = Math.max(100, Math.min(5_000, Math.floor(Math.min(headersTimeout, requestTimeout) / 4)));
  const server = createAdaptorServer({ fetch: app.fetch, serverOptions: { connectionsCheckingInterval } }) as Server;
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 65_000;
  server.headersTimeout = headersTimeout;
  server.requestTimeout = requestTimeout;
  let address: string;
  let port: number | undefined;
  if (opts.socketPath) {
    await clearStaleSocket(opts.socketPath);
    // The umask makes the socket 0600 from the moment it exists: no window where others could connect.
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.socketPath, () => (server.off('error', reject), resolve()));
      });
    } finally {
      process.umask(old);
    }
    address = `unix:${opts.socketPath}`;
  } else {
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => (server.off('error', reject), resolve()));
    });
    port = (server.address() as { port: number }).port;
    address = `http://${host}:${port}`;
  }
  return {
    server,
    address,
    ...(port !== undefined ? { port } : {}),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
