// The real edge for the benchmarks: `edgenn serve` on a temp data dir and 127.0.0.1 port 0 (the
// registry on the same port), models published with the registry client, handlers deployed with
// `edgenn deploy`. Throws at once when this commit has no `edgenn serve` yet.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../../edge/paths.ts';
import { createRegistryClient } from '../../../registry/client.ts';
import type { Workspace } from './fixtures.ts';
import type { BenchContext } from './report.ts';
import { spawnListening } from './spawn.ts';

const run = promisify(execFile);
const CLI = join(projectRoot, 'edge/cli/edgenn.js');

export interface BenchEdge {
  url: string;
  data: string;
  pid: number;
  token: string;
  /** ms from spawn to the listening line, and to /healthz/ready. */
  listenMs: number;
  readyMs: number;
  publish(file: string, name: string, version?: string, aliases?: string[], placement?: 'cpu' | 'gpu' | 'auto'): Promise<void>;
  deploy(handler: string, name: string, route: string, models: string[]): Promise<void>;
  waitReady(timeoutMs?: number): Promise<number>;
  output(): string;
  stop(): Promise<void>;
}

/** True when `edgenn serve` is one of the CLI's commands on this commit. */
export function edgeAvailable(): boolean {
  const main = join(projectRoot, 'edge/cli/main.ts');
  return existsSync(main) && /\bserve:\s*\(\)\s*=>/.test(readFileSync(main, 'utf8')) && existsSync(join(projectRoot, 'edge/server.ts'));
}

export interface StartEdgeOptions {
  /** Reuse a data directory (a restart: deployments come back, models preload before ready). */
  data?: string;
  token?: string;
  extraArgs?: string[];
}

export async function startEdge(ws: Workspace, ctx: BenchContext, opts: StartEdgeOptions = {}): Promise<BenchEdge> {
  if (!edgeAvailable()) throw new Error('`edgenn serve` (edge/server.ts) is not on this commit yet');
  const data = opts.data ?? join(ws.dir, `edge-${randomBytes(3).toString('hex')}`);
  mkdirSync(data, { recursive: true });
  const token = opts.token ?? `bench-${randomBytes(8).toString('hex')}`;
  const extraArgs = opts.extraArgs ?? [];
  const env = { ...process.env, EDGENN_TOKEN: token };
  const t0 = performance.now();
  const s = await spawnListening([CLI, 'serve', '--data', data, '--port', '0', ...extraArgs], { env, timeoutMs: 120_000 });
  const registry = createRegistryClient({ url: s.url, token });
  async function waitReady(timeoutMs = 120_000): Promise<number> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const ok = await fetch(`${s.url}/healthz/ready`).then((r) => r.status === 200, () => false);
      if (ok) return performance.now() - t0;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the edge was not ready within ${timeoutMs} ms:\n${s.output().slice(-2000)}`);
  }
  const readyMs = await waitReady().catch(async (err: unknown) => {
    await s.stop();
    throw err;
  });
  return {
    url: s.url,
    data,
    pid: s.pid,
    token,
    listenMs: s.startMs,
    readyMs,
    async publish(file, name, version = '1.0.0', aliases = [], placement = 'cpu') {
      await registry.publish(file, { name, version, placement, aliases });
    },
    async deploy(handler, name, route, models) {
      ctx.log(`edge: deploying ${name}`);
      try {
        await run(process.execPath, [CLI, 'deploy', handler, '--name', name, '--route', route, ...models.flatMap((m) => ['--model', m]), '--edge', s.url, '--token', token], { env, timeout: 180_000 });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        throw new Error(`edgenn deploy ${name} failed: ${e.stderr || e.stdout || e.message}`);
      }
      await waitReady();
    },
    waitReady,
    output: s.output,
    stop: s.stop,
  };
}
