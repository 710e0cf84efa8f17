// stop() drains: new requests get 503 at once, requests in flight finish, then the process and
// its sockets are gone (what a deploy switch or an undeploy needs to fail no request).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, rmSync } from 'node:fs';
import { createWorkerdRuntime } from '../../edge/workerd/runtime.ts';
import type { WorkerRuntime } from '../../edge/contracts.ts';
import { createTestRouter, type TestRouter } from '../fixtures/handlers/onnx-router.ts';
import { manifest, specFromSource, tempDir } from '../fixtures/handlers/deploy.ts';

const SLOW = `export default { async fetch() { await new Promise((r) => setTimeout(r, 400)); return new Response('finished'); } };`;

let dir: string;
let router: TestRouter;
let runtime: WorkerRuntime;

beforeAll(async () => {
  dir = tempDir();
  router = await createTestRouter({});
  runtime = createWorkerdRuntime({ runDir: `${dir}/run`, router });
});

afterAll(async () => {
  await runtime?.close();
  await router?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('stop()', () => {
  it('lets requests in flight finish, refuses new ones with 503, then removes everything', async () => {
    const worker = await runtime.start(specFromSource(dir, manifest('drain'), SLOW));
    expect(readdirSync(`${dir}/run`)).toHaveLength(1);
    const inFlight = worker.fetch(new Request('http://t.test/'), 'rid-inflight');
    await new Promise((r) => setTimeout(r, 100));
    const stopped = worker.stop();
    expect(worker.state).toBe('stopped');
    const late = await worker.fetch(new Request('http://t.test/'), 'rid-late');
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('1');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('finished');
    await stopped;
    expect(readdirSync(`${dir}/run`)).toEqual([]);
  });
});
