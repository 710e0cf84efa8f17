// A registry process killed (SIGKILL) in the middle of an upload leaves a consistent store: on
// restart the stale temp file is gone, index.json is intact, and the publish can simply be retried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addModel, largeModel } from '../fixtures/onnx-models.ts';
import { spawnRegistryCli, type SpawnedRegistry } from './registry-harness.ts';

const token = 'kill-test-token';
let dir: string;
let reg: SpawnedRegistry | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgenn-kill-'));
});
afterAll(async () => {
  await reg?.stop();
  await rm(dir, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const put = (url: string, name: string, version: string, body: Uint8Array) =>
  fetch(`${url}/v1/models/${name}/versions/${version}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body });

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('kill during upload', () => {
  const data = () => join(dir, 'data');
  const storeDir = () => join(data(), 'registry');
  const big = largeModel(4 * 1024 * 1024);

  it('restarts cleanly and the publish can be retried', async () => {
    reg = await spawnRegistryCli(data(), { EDGENN_TOKEN: token });
    expect((await put(reg.url, 'kept', '1.0.0', addModel())).status).toBe(201);
    const indexBefore = await readFile(join(storeDir(), 'index.json'), 'utf8');
    const blobsBefore = (await readdir(join(storeDir(), 'blobs', 'sha256'))).sort();

    // Send half the body, wait until the server is writing it to a temp file, then kill it.
    const { port } = new URL(reg.url);
    const req = request({ host: '127.0.0.1', port: Number(port), method: 'PUT', path: '/v1/models/big/versions/1.0.0', headers: { authorization: `Bearer ${token}`, 'content-length': String(big.length) } });
    const failed = new Promise<string>((resolve) => {
      req.on('error', (err) => resolve((err as NodeJS.ErrnoException).code ?? err.message));
      req.on('response', (res) => resolve(`unexpected response ${res.statusCode}`));
    });
    req.write(big.subarray(0, big.length / 2));
    await until('a temp upload with bytes in it', async () => {
      const files = await readdir(join(storeDir(), 'tmp'));
      if (files.length !== 1) return false;
      return (await stat(join(storeDir(), 'tmp', files[0]!))).size > 0;
    });
    await reg.stop('SIGKILL');
    expect(reg.child.signalCode).toBe('SIGKILL');
    expect(await failed).toMatch(/ECONNRESET|EPIPE|socket hang up/);
    expect(await readdir(join(storeDir(), 'tmp'))).toHaveLength(1); // the stale partial upload

    reg = await spawnRegistryCli(data(), { EDGENN_TOKEN: token });
    expect(await readdir(join(storeDir(), 'tmp'))).toEqual([]);
    expect(await readFile(join(storeDir(), 'index.json'), 'utf8')).toBe(indexBefore);
    expect((await readdir(join(storeDir(), 'blobs', 'sha256'))).sort()).toEqual(blobsBefore);
    const list = (await (await fetch(`${reg.url}/v1/models`)).json()) as { models: Array<{ name: string }> };
    expect(list.models.map((m) => m.name)).toEqual(['kept']);

    const retry = await put(reg.url, 'big', '1.0.0', big);
    expect(retry.status).toBe(201);
    const blob = await fetch(`${reg.url}/v1/resolve/big@1.0.0`).then((r) => r.json() as Promise<{ digest: string }>);
    expect(blob.digest).toBe(sha(big));
    const bytes = new Uint8Array(await (await fetch(`${reg.url}/v1/blobs/${blob.digest}`)).arrayBuffer());
    expect(sha(bytes)).toBe(sha(big));
  });
});
