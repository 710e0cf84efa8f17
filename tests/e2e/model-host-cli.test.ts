// `edgenn model-host` in the foreground: it becomes ready with its preloads, Ctrl-C stops it and
// its sandboxed child cleanly, and a supervisor killed with -9 leaves no orphan behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../edge/paths.ts';
import { addModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, tempDir, type TestRegistry } from '../../model-host/test-fixtures.ts';
import { createV2Client } from '../../model-host/client.ts';

let tmp: ReturnType<typeof tempDir>;
let registry: TestRegistry;
const started: ChildProcess[] = [];

beforeAll(async () => {
  tmp = tempDir('mh-cli');
  registry = await startTestRegistry(join(tmp.dir, 'registry-data'));
  await registry.publish(addModel({ width: 4, bias: 2 }), { name: 'adder', version: '1.0.0' });
});

afterAll(async () => {
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
  await registry?.close();
  tmp?.cleanup();
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, check: () => boolean | Promise<boolean>, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Starts `edgenn model-host` and resolves with the CLI process, the model-host child's pid and the socket. */
async function startCli(name: string): Promise<{ cli: ChildProcess; childPid: number; socketPath: string; output: () => string }> {
  const data = join(tmp.dir, name);
  const socketPath = join(data, 'run', 'model-host', 'model-host.sock');
  const cli = spawn(process.execPath, [join(projectRoot, 'edge/cli/edgenn.js'), 'model-host', '--registry', registry.url, '--data', data, '--preload', 'adder'], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(cli);
  let out = '';
  cli.stdout!.on('data', (d) => (out += d));
  cli.stderr!.on('data', (d) => (out += d));
  await until('the CLI to report ready', () => /edgenn model-host: ready on/.test(out) || cli.exitCode !== null);
  expect(cli.exitCode).toBeNull();
  const childPid = Number(/model-host: ready \(pid (\d+)/.exec(out)?.[1]);
  expect(alive(childPid)).toBe(true);
  return { cli, childPid, socketPath, output: () => out };
}

describe('edgenn model-host', () => {
  it('serves its preloads and stops cleanly on Ctrl-C', async () => {
    const { cli, childPid, socketPath } = await startCli('a');
    const client = createV2Client({ socketPath });
    const out = await client.infer('adder', '', { x: { type: 'FP32', dims: [1, 4], data: new Float32Array(4) } });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([2, 2, 2, 2]);
    await client.close();
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    cli.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(alive(childPid)).toBe(false);
  });

  it('leaves no orphan when the supervisor itself is killed with -9', async () => {
    const { cli, childPid } = await startCli('b');
    const exited = new Promise<void>((r) => cli.once('exit', () => r()));
    cli.kill('SIGKILL');
    await exited;
    // The child notices its stdin closing and stops by itself.
    await until('the orphaned model-host to exit', () => !alive(childPid), 200);
    expect(alive(childPid)).toBe(false);
  });
});
