// Shared setup for the registry integration tests: a real registry on a temp data dir, served on
// 127.0.0.1 port 0, and a raw-HTTP publish helper (the client has its own tests).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createRegistry, type Registry, type RegistryOptions } from '../../registry/registry.ts';
import { startRegistryServer } from '../../registry/server.ts';

export interface TestRegistry {
  dataDir: string;
  token: string;
  url: string;
  registry: Registry;
  auth: Record<string, string>;
  /** PUT raw bytes as `name@version`; returns status and parsed JSON body. */
  publish(name: string, version: string, bytes: Uint8Array, query?: string, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  json(path: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export async function startTestRegistry(opts: Partial<RegistryOptions> = {}): Promise<TestRegistry> {
  const dataDir = await mkdtemp(join(tmpdir(), 'edgenn-registry-'));
  const token = `t-${randomBytes(12).toString('hex')}`;
  const registry = await createRegistry({ dataDir, token, heartbeatSeconds: 1, ...opts });
  const server = await startRegistryServer(registry.app, 0);
  const auth = { authorization: `Bearer ${token}` };
  const json = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${server.url}${path}`, init);
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, body, headers: res.headers };
  };
  return {
    dataDir,
    token,
    url: server.url,
    registry,
    auth,
    json,
    async publish(name, version, bytes, query = '', headers = auth) {
      const r = await json(`/v1/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}${query ? `?${query}` : ''}`, { method: 'PUT', headers, body: bytes });
      return { status: r.status, body: r.body };
    },
    async close() {
      await registry.close();
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SpawnedRegistry {
  child: import('node:child_process').ChildProcess;
  url: string;
  /** Everything the process printed so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs the real `edgenn registry --data DIR --port 0` and waits for its `listening on` line. */
export async function spawnRegistryCli(dataDir: string, env: Record<string, string> = {}): Promise<SpawnedRegistry> {
  const { spawn } = await import('node:child_process');
  const { projectRoot } = await import('../../edge/paths.ts');
  const child = spawn(process.execPath, [join(projectRoot, 'edge/cli/edgenn.js'), 'registry', '--data', dataDir, '--port', '0'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'listening on' line within 30 s:\n${out}`)), 30_000);
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`edgenn registry exited (${code}) before listening:\n${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
