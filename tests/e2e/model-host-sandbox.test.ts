// The sandbox, proven from inside the running model-host (its --test-probes endpoint): it cannot
// write outside its cache, spawn a process or start a worker, it never sees EDGENN_TOKEN, it
// runs as `nobody` when started as root, and its socket is 0600.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { addModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, tempDir, type TestRegistry } from '../../model-host/test-fixtures.ts';
import { startModelHost, type ModelHost } from '../../model-host/supervisor.ts';
import type { ProbeResult } from '../../model-host/probes.ts';

let tmp: ReturnType<typeof tempDir>;
let registry: TestRegistry;
let host: ModelHost;
const lines: string[] = [];
const savedToken = process.env.EDGENN_TOKEN;

async function probe(body: Record<string, unknown>): Promise<ProbeResult> {
  const res = await host.client.request('POST', '/__test/probe', JSON.stringify(body), { 'content-type': 'application/json' });
  expect(res.status).toBe(200);
  return JSON.parse(res.body.toString()) as ProbeResult;
}

beforeAll(async () => {
  tmp = tempDir('mh-sandbox');
  registry = await startTestRegistry(join(tmp.dir, 'data'));
  await registry.publish(addModel({ width: 4 }), { name: 'adder', version: '1.0.0' });
  // A directory anyone may write: only the permission model can stop the model-host here.
  mkdirSync(join(tmp.dir, 'open'));
  chmodSync(join(tmp.dir, 'open'), 0o777);
  process.env.EDGENN_TOKEN = 'admin-secret-never-in-the-child';
  host = startModelHost({ registryUrl: registry.url, socketPath: join(tmp.dir, 'run', 'mh.sock'), cacheDir: join(tmp.dir, 'cache'), preload: ['adder'], extraArgs: ['--test-probes'], log: (l) => lines.push(l) });
  await host.ready();
});

afterAll(async () => {
  if (savedToken === undefined) delete process.env.EDGENN_TOKEN;
  else process.env.EDGENN_TOKEN = savedToken;
  await host?.stop();
  await registry?.close();
  tmp?.cleanup();
});

describe('model-host sandbox', () => {
  it('cannot write outside its cache, but can inside it', async () => {
    const outside = join(tmp.dir, 'open', 'escaped.txt');
    const denied = await probe({ action: 'write', path: outside });
    expect(denied).toMatchObject({ ok: false, code: 'ERR_ACCESS_DENIED' });
    expect(existsSync(outside)).toBe(false);
    expect(await probe({ action: 'write', path: '/tmp/edgenn-escaped.txt' })).toMatchObject({ ok: false, code: 'ERR_ACCESS_DENIED' });
    expect(await probe({ action: 'write', path: join(tmp.dir, 'cache', 'probe.txt') })).toMatchObject({ ok: true });
    expect(await probe({ action: 'read', path: '/etc/hostname' })).toMatchObject({ ok: false, code: 'ERR_ACCESS_DENIED' });
  });

  it('cannot spawn a process or start a worker thread', async () => {
    expect(await probe({ action: 'spawn' })).toMatchObject({ ok: false, code: 'ERR_ACCESS_DENIED' });
    expect(await probe({ action: 'worker' })).toMatchObject({ ok: false, code: 'ERR_ACCESS_DENIED' });
  });

  it('runs without EDGENN_TOKEN or NODE_OPTIONS in its environment', async () => {
    const env = (await probe({ action: 'env' })).value as Record<string, string>;
    expect(env.EDGENN_TOKEN).toBeUndefined();
    expect(env.NODE_OPTIONS).toBeUndefined();
    expect(Object.values(env)).not.toContain('admin-secret-never-in-the-child');
  });

  it.runIf(process.getuid?.() === 0)('drops root to nobody', async () => {
    expect((await probe({ action: 'identity' })).value).toMatchObject({ uid: 65534, permission: true });
  });

  it('listens on a socket only its owner may use, and says which protections are on', () => {
    expect(statSync(join(tmp.dir, 'run', 'mh.sock')).mode & 0o777).toBe(0o600);
    expect(lines.some((l) => /sandbox on: .*no child processes/.test(l))).toBe(true);
    expect(lines.some((l) => /sandbox gap: native addons/.test(l))).toBe(true);
    expect(lines.some((l) => /sandbox: permission model on; child processes denied, worker threads denied, writes to \/ denied/.test(l))).toBe(true);
  });
});
