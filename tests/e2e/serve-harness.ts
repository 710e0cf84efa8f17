// Starts the REAL `edgenn serve` (the bundled CLI, as a user runs it) on 127.0.0.1 port 0 in a
// temp data dir, and drives it the way users do: the CLI for deploys, HTTP for everything else.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../edge/paths.ts';

const CLI = join(projectRoot, 'edge/cli/edgenn.js');
export const TOKEN = 'e2e-token-0123456789';

export interface Serve {
  url: string;
  data: string;
  proc: ChildProcess;
  /** stdout + stderr so far (structured log lines included). */
  output(): string;
  /** SIGTERM, then waits for the exit code (SIGKILL after 20 s). */
  stop(): Promise<number | null>;
}

export function tempDataDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `edgenn-e2e-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startServe(data: string, extra: string[] = []): Promise<Serve> {
  const proc = spawn(process.execPath, [CLI, 'serve', '--data', data, '--port', '0', '--cpu-workers', '1', ...extra], {
    env: { ...process.env, EDGENN_TOKEN: TOKEN, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`edgenn serve did not print its URL within 60 s:\n${out}`)), 60_000);
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`edgenn serve exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    url,
    data,
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

/** Runs the CLI to completion: `{ code, stdout, stderr }`. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, EDGENN_TOKEN: TOKEN, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `edgenn deploy` against the edge at `url`. */
export function deploy(url: string, handler: string, args: string[]) {
  return cli(['deploy', join(projectRoot, handler), '--edge', url, ...args]);
}

/** Polls `/healthz/ready` until 200 (bounded: 240 tries, 250 ms apart). Returns the statuses seen. */
export async function waitReady(url: string): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < 240; i++) {
    const res = await fetch(`${url}/healthz/ready`);
    await res.arrayBuffer();
    seen.push(res.status);
    if (res.status === 200) return seen;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} never became ready; statuses ${[...new Set(seen)].join(',')}`);
}

export type JsonTensor = { type: string; dims: number[]; data: number[] };

/** Calls the test handler (tests/e2e/handlers/infer.ts): runs `model` on `inputs` through env.AI. */
export async function callModel(url: string, path: string, model: string, inputs: Record<string, JsonTensor>, api: 'run' | 'graph' = 'run') {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, inputs, api }) });
  const text = await res.text();
  let body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    body = JSON.parse(text);
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body };
}

/** Processes whose command line mentions `needle` (e.g. the data dir): finds orphans after a stop. */
export async function processesMentioning(needle: string): Promise<string[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const out: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle)) out.push(`${pid}: ${cmd.replace(/\0/g, ' ')}`);
  }
  return out;
}
