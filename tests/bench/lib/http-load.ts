// HTTP load over keep-alive connections (node:http, one socket per caller), closed loop and bounded:
// a non-2xx answer counts as a failed request, with its body kept as an error sample.
import http from 'node:http';
import { closedLoop, type LoadOptions, type LoadResult } from './load.ts';

export interface HttpTarget {
  url: string;
  method?: string;
  body?: Uint8Array;
  headers?: Record<string, string>;
}

export function httpCall(target: HttpTarget, agent: http.Agent, timeoutMs = 30_000): () => Promise<void> {
  const u = new URL(target.url);
  const headers = { ...(target.headers ?? {}), ...(target.body ? { 'content-length': String(target.body.byteLength), 'content-type': 'application/octet-stream' } : {}) };
  return () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: target.method ?? 'POST', agent, headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`HTTP ${status}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(target.body);
    });
}

export async function httpLoad(target: HttpTarget, opts: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  try {
    return await closedLoop(opts, httpCall(target, agent));
  } finally {
    agent.destroy();
  }
}
