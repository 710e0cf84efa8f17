// The hostile-tenant suite: a well-behaved deployment and a hostile one side by side, each in its
// own workerd process. Every escape attempt is contained, every fault ends in an error response
// for that request only, and the well-behaved deployment keeps answering THROUGHOUT each fault.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createWorkerdRuntime } from '../../edge/workerd/runtime.ts';
import type { WorkerInstance, WorkerRuntime } from '../../edge/contracts.ts';
import { addModel } from '../fixtures/onnx-models.ts';
import { createTestRouter, type TestRouter } from '../fixtures/handlers/onnx-router.ts';
import { manifest, specFromSource, tempDir, waitFor } from '../fixtures/handlers/deploy.ts';

const GOOD = `
export default {
  async fetch(request, env) {
    const out = await env.AI.run('good-model', { x: { type: 'FP32', dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) } });
    return Response.json({ y: Array.from(out.y.data) });
  },
};`;
const GOOD_Y = [1001, 1002, 1003, 1004];
const SECRET = `edgenn-host-secret-${process.pid}`;

let dir: string;
let router: TestRouter;
let runtime: WorkerRuntime;
let good: WorkerInstance;
let evil: WorkerInstance;
let loopback: Server;
let loopbackHits = 0;
let evilKey = '';

type Ping = { status: number; y: unknown; issuedDuringFault: boolean };

/**
 * Sends `path` to the hostile deployment and, while it is in flight, keeps asking the good one
 * (first ping issued before anything is awaited). Bounded: at most 300 pings.
 */
async function duringFault(path: string): Promise<{ status: number; body: string; pings: Ping[] }> {
  let faultDone = false;
  const fault = evil.fetch(new Request(`http://evil.test/${path}`), `evil-${path}`).then(async (r) => ({ status: r.status, body: await r.text() }));
  void fault.finally(() => (faultDone = true));
  const pings: Ping[] = [];
  const pinger = (async () => {
    for (let i = 0; i < 300 && !faultDone; i++) {
      const issuedDuringFault = !faultDone;
      const r = await good.fetch(new Request('http://good.test/'), `good-${path}-${i}`);
      const body = (await r.json()) as { y?: unknown };
      pings.push({ status: r.status, y: body.y, issuedDuringFault });
      await new Promise((res) => setTimeout(res, 30));
    }
  })();
  const result = await fault;
  await pinger;
  return { ...result, pings };
}

function expectGoodThroughout(pings: Ping[]): void {
  expect(pings.filter((p) => p.issuedDuringFault).length).toBeGreaterThanOrEqual(1);
  for (const p of pings) expect(p).toEqual({ status: 200, y: GOOD_Y, issuedDuringFault: p.issuedDuringFault });
}

/** A probe: contained (no secret anywhere in what it saw), and good answered throughout. */
async function probe(path: string): Promise<Record<string, any>> {
  const { status, body, pings } = await duringFault(path);
  expect(status).toBe(200);
  expect(body).not.toContain(SECRET);
  expect(body).not.toContain(evilKey);
  expect(body).not.toMatch(/root:x:0:0/);
  expectGoodThroughout(pings);
  return JSON.parse(body) as Record<string, any>;
}

/** A fault: an error response for that request; good answered during it; evil serves again afterwards. */
async function fault(path: string): Promise<{ status: number; error: { code: string; message: string; retryable: boolean; requestId: string } }> {
  const { status, body, pings } = await duringFault(path);
  expectGoodThroughout(pings);
  expect(status).toBeGreaterThanOrEqual(500);
  const parsed = JSON.parse(body) as { error: { code: string; message: string; retryable: boolean; requestId: string } };
  expect(parsed.error.requestId).toBe(`evil-${path}`);
  expect(await waitFor(() => evil.state === 'ready', 20_000)).toBe(true);
  const after = await evil.fetch(new Request('http://evil.test/ok'), 'evil-ok');
  expect(after.status).toBe(200);
  return { status, error: parsed.error };
}

const threwEval = (r: { threw: boolean; error?: string }) => r.threw && /EvalError: Code generation from strings disallowed/.test(r.error ?? '');

beforeAll(async () => {
  process.env.EDGENN_TEST_SECRET = SECRET;
  dir = tempDir();
  loopback = createServer((_req, res) => {
    loopbackHits++;
    res.end(SECRET);
  });
  await new Promise<void>((r) => loopback.listen(0, '127.0.0.1', r));
  const port = (loopback.address() as AddressInfo).port;
  router = await createTestRouter({ add: addModel({ bias: 1 }), 'good-model': addModel({ bias: 1000 }) });
  runtime = createWorkerdRuntime({ runDir: join(dir, 'run'), router, backoffMs: 100, maxBackoffMs: 400 });
  good = await runtime.start(specFromSource(dir, manifest('good', { models: ['good-model'] }), GOOD));
  const before = new Set(readdirSync(join(dir, 'run')));
  evil = await runtime.start(
    specFromSource(dir, manifest('evil', { models: ['add'], compatibilityDate: '2025-09-15', compatibilityFlags: ['nodejs_compat'], vars: { LOOPBACK_PORT: String(port) }, limits: { requestTimeoutMs: 1_500, memoryMb: 64 } }), readFileSync(join(import.meta.dirname, '../fixtures/handlers/hostile.js'), 'utf8')),
  );
  const evilDir = readdirSync(join(dir, 'run')).find((d) => !before.has(d))!;
  evilKey = /name = "key", text = "([0-9a-f]+)"/.exec(readFileSync(join(dir, 'run', evilDir, 'config.capnp'), 'utf8'))![1]!;
});

afterAll(async () => {
  delete process.env.EDGENN_TEST_SECRET;
  await runtime?.close();
  await router?.close();
  await new Promise((r) => loopback?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('hostile tenant beside a well-behaved one', () => {
  it('cannot read a host file', async () => {
    const r = await probe('read-file');
    expect(r.viaFetch).toMatchObject({ threw: true });
    expect(r.viaFetch.error).toContain('Fetch API cannot load: file:///etc/passwd');
    expect(r.viaFs).toMatchObject({ threw: true });
    expect(r.viaFs.error).toContain('no such file or directory');
  });

  it('cannot read /proc/self/environ', async () => {
    const r = await probe('environ');
    expect(r.viaFs).toMatchObject({ threw: true });
    expect(r.viaFetch).toMatchObject({ threw: true });
  });

  it('sees no host environment through `process`', async () => {
    const r = await probe('process');
    // nodejs_compat's `process` is workerd's own: env holds only the deployment's variables.
    expect(r.env === null || Object.keys(r.env).every((k) => k === 'LOOPBACK_PORT')).toBe(true);
    for (const k of ['binding', 'dlopen', 'kill']) expect(r[k].threw || r[k].value === null).toBe(true);
    expect(r.pid === null || r.pid !== process.pid).toBe(true);
  });

  it("gets only workerd's virtual file system from import('node:fs'), and writes nothing to the host", async () => {
    const r = await probe('import-fs');
    if (!r.threw) {
      expect(r.value.listing.sort()).toEqual(['bundle', 'dev', 'tmp']);
      expect(r.value.etc).toMatchObject({ threw: true });
    }
    expect(existsSync('/tmp/edgenn-escaped')).toBe(false);
  });

  it("cannot run a program through import('node:child_process')", async () => {
    const r = await probe('child-process');
    if (!r.threw) {
      expect(r.value.spawn).toMatchObject({ threw: true });
      expect(r.value.execSync).toMatchObject({ threw: true });
    }
  });

  it('cannot reach the host through constructor.constructor on globals', async () => {
    const r = await probe('ctor-global');
    for (const k of ['fromObject', 'fromGlobal', 'eval', 'asyncFn']) expect(threwEval(r[k])).toBe(true);
  });

  it('sees only run and loadByName on env.AI, and no way to the host through it', async () => {
    const r = await probe('ctor-ai');
    expect(r.keys.sort()).toEqual(['loadByName', 'run']);
    expect(r.forRequest).toBe('undefined');
    expect(r.json).toBe(JSON.stringify({ AI: {}, LOOPBACK_PORT: r.json && JSON.parse(r.json).LOOPBACK_PORT }));
    expect(threwEval(r.fromRun)).toBe(true);
    expect(threwEval(r.fromCtor)).toBe(true);
  });

  it('gets plain worker-side objects and errors from env.AI.run, with no way back to the host', async () => {
    const r = await probe('ctor-result');
    expect(r.y).toEqual([2, 3, 4, 5]);
    expect(r.sameRealm).toBe(true);
    for (const k of ['fromData', 'fromTensor', 'fromError']) expect(threwEval(r[k])).toBe(true);
    expect(r.errorCode).toBe('security');
    expect(r.errorKeys.sort()).toEqual(['code', 'data', 'message', 'name', 'retryable', 'stack']);
    expect(r.otherDeployment.threw).toBe(true);
    expect(r.otherDeployment.error).toContain("add 'good-model' to `models`");
    expect(router.calls.some((c) => c.ref === 'good-model' && c.requestId?.startsWith('evil-'))).toBe(false);
  });

  it('cannot spawn workers or open raw sockets to the host', async () => {
    const r = await probe('spawn');
    expect(r.worker).toMatchObject({ threw: true });
    expect(r.wasmImport).toMatchObject({ threw: true });
    expect(r.connect).toMatchObject({ threw: true });
  });

  it('cannot fetch a loopback service of the platform (it receives no request)', async () => {
    const r = await probe('loopback');
    expect(Object.keys(r)).toHaveLength(6);
    for (const [, v] of Object.entries(r)) expect(v).toMatchObject({ threw: true });
    expect(loopbackHits).toBe(0);
  });

  it('a sync infinite loop → 504 for that request, process restarted', async () => {
    const r = await fault('sync-loop');
    expect(r.status).toBe(504);
    expect(r.error).toMatchObject({ code: 'timeout', retryable: true });
  });

  it('an async loop after await env.AI.run → 504 for that request, process restarted', async () => {
    const r = await fault('async-loop');
    expect(r.status).toBe(504);
    expect(r.error).toMatchObject({ code: 'timeout', retryable: true });
  });

  it('heap exhaustion → 5xx for that request, process restarted', async () => {
    const restarts = evil.restarts;
    const r = await fault('heap');
    // Out of memory (500) or still collecting garbage at the deadline (504): the process goes either way.
    expect(['runtime-error', 'timeout']).toContain(r.error.code);
    expect(evil.restarts).toBe(restarts + 1);
  });

  it('2 GiB of ArrayBuffers → 5xx for that request', async () => {
    const r = await fault('array-buffers');
    // ArrayBuffers live outside the V8 heap cap: the process's data-size limit refuses them (500),
    // unless filling a GiB on a loaded machine outlasts the 1.5 s deadline first (504, killed).
    expect(['runtime-error', 'timeout']).toContain(r.error.code);
    if (r.error.code === 'runtime-error') expect(r.error.message).toContain('Array buffer allocation failed');
  });

  it('one huge array → 5xx for that request, process restarted', async () => {
    const restarts = evil.restarts;
    const r = await fault('huge-array');
    expect(['runtime-error', 'timeout']).toContain(r.error.code);
    expect(evil.restarts).toBe(restarts + 1);
  });
});
