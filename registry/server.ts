// Serves the registry alone on 127.0.0.1 (`edgenn registry`); the only registry file that
// imports @hono/node-server. `edgenn serve` mounts the same app in its own server instead.
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';

export interface ServerLimits {
  /** Time allowed to receive the request headers (default 30 s). */
  headersTimeoutMs?: number;
  /** Time allowed to receive a whole request, body included (default 1 h: a 4 GiB upload on a slow link). */
  requestTimeoutMs?: number;
  /** A connection idle this long is closed (default 120 s; the event feed's heartbeat keeps it busy). */
  idleTimeoutMs?: number;
  /** Largest request header block in bytes (default 16 KiB). */
  maxHeaderBytes?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** How often Node checks header/request timeouts: a quarter of the shorter one, 100 ms – 5 s. */
export function sweepInterval(headersTimeoutMs: number, requestTimeoutMs: number): number {
  return Math.max(100, Math.min(5_000, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4)));
}

export async function startRegistryServer(app: Hono, port: number, limits: ServerLimits = {}): Promise<RunningServer> {
  const headersTimeout = limits.headersTimeoutMs ?? 30_000;
  const requestTimeout = limits.requestTimeoutMs ?? 3_600_000;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({
      fetch: app.fetch,
      hostname: '127.0.0.1',
      port,
      serverOptions: {
        headersTimeout,
        requestTimeout,
        // Node enforces both timeouts only when it sweeps its connections, every 30 s by default:
        // a slowloris connection then outlives a 30 s header timeout by up to 30 s more.
        connectionsCheckingInterval: sweepInterval(headersTimeout, requestTimeout),
        maxHeaderSize: limits.maxHeaderBytes ?? 16 * 1024,
      },
    }) as Server;
    s.once('error', reject);
    s.once('listening', () => resolve(s));
  });
  server.setTimeout(limits.idleTimeoutMs ?? 120_000);
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
