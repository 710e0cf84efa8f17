// A request that overruns limits.requestTimeoutMs gets 504 `timeout`; its process is killed and
// restarted with backoff, requests meanwhile get 503 `unavailable` with Retry-After; then it serves again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { createWorkerdRuntime } from '../../edge/workerd/runtime.ts';
import type { WorkerInstance, WorkerRuntime } from '../../edge/contracts.ts';
import { createTestRouter, type TestRouter } from '../fixtures/handlers/onnx-router.ts';
import { manifest, specFromSource, tempDir, waitFor } from '../fixtures/handlers/deploy.ts';

const HANDLER = `
let served = 0;
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/spin') { for (;;) {} }
    if (path === '/throw') throw new TypeError('handler bug');
    if (path === '/drip' || path === '/stuck-body') {
      let sent = false;
      return new Response(new ReadableStream({
        async pull(c) {
          if (!sent) { sent = true; return c.enqueue(new TextEncoder().encode('first;')); }
          if (path === '/stuck-body') for (;;) {}
          await new Promise(() => {}); // never another chunk, but the isolate stays free
        },
      }));
    }
    served++;
    return Response.json({ served });
  },
};`;

let dir: string;
let router: TestRouter;
let runtime: WorkerRuntime;
let worker: WorkerInstance;

beforeAll(async () => {
  dir = tempDir();
  router = await createTestRouter({});
  // A long first backoff so the 503 window is observable without timing assertions.
  runtime = createWorkerdRuntime({ runDir: `${dir}/run`, router, backoffMs: 1_500 });
  worker = await runtime.start(specFromSource(dir, manifest('slow', { limits: { requestTimeoutMs: 2_000, memoryMb: 128 } }), HANDLER));
});

afterAll(async () => {
  await runtime?.close();
  await router?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('request deadline', () => {
  it('an exception in the handler is a 500 runtime-error for that request only', async () => {
    const res = await worker.fetch(new Request('http://t.test/throw'), 'rid-throw');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'runtime-error', message: 'the handler threw: TypeError: handler bug', retryable: false, requestId: 'rid-throw' } });
    expect((await worker.fetch(new Request('http://t.test/ok'), 'r')).status).toBe(200);
  });

  it('overrun → 504 timeout, 503 + Retry-After while restarting, then a fresh process serves', async () => {
    const before = worker.restarts;
    const spin = worker.fetch(new Request('http://t.test/spin'), 'rid-spin');
    // A request stuck behind the loop in the same process: it did nothing wrong, so it gets a
    // retryable 503, not the 504.
    await new Promise((r) => setTimeout(r, 200));
    const bystander = await worker.fetch(new Request('http://t.test/ok'), 'rid-bystander');
    expect(bystander.status).toBe(503);
    expect(await bystander.json()).toMatchObject({ error: { code: 'unavailable', retryable: true, requestId: 'rid-bystander' } });
    const res = await spin;
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { code: 'timeout', retryable: true, requestId: 'rid-spin' } });
    expect(await waitFor(() => worker.state === 'restarting', 3_000)).toBe(true);
    const during = await worker.fetch(new Request('http://t.test/ok'), 'rid-during');
    expect(during.status).toBe(503);
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await during.json()).toMatchObject({ error: { code: 'unavailable', retryable: true, requestId: 'rid-during' } });
    expect(await waitFor(() => worker.state === 'ready', 10_000)).toBe(true);
    expect(worker.restarts).toBe(before + 1);
    const after = await worker.fetch(new Request('http://t.test/ok'), 'rid-after');
    expect(after.status).toBe(200);
    // A fresh process: the module-level counter started over.
    expect(await after.json()).toEqual({ served: 1 });
  });

  it('a response body that stalls past the deadline is cut; an idle process is kept, a stuck one restarted', async () => {
    expect(await waitFor(() => worker.state === 'ready', 10_000)).toBe(true);
    const readAll = async (path: string) => {
      const res = await worker.fetch(new Request(`http://t.test${path}`), `rid${path}`);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let text = '';
      for (let i = 0; i < 10; i++) {
        const step = await reader.read().catch((e: Error) => ({ error: e }));
        if ('error' in step) return { text, error: step.error };
        if (step.done) return { text, error: undefined };
        text += new TextDecoder().decode(step.value);
      }
      return { text, error: undefined };
    };
    const restarts = worker.restarts;
    const drip = await readAll('/drip');
    expect(drip.text).toBe('first;');
    expect(drip.error).toBeDefined();
    // The process still answered the liveness probe: not restarted, still serving.
    expect((await worker.fetch(new Request('http://t.test/ok'), 'r')).status).toBe(200);
    expect(worker.restarts).toBe(restarts);
    // workerd pulls ahead before flushing headers, so the stuck isolate may never send them:
    // either way the request ends in an error and the process is killed.
    const stuck = await worker.fetch(new Request('http://t.test/stuck-body'), 'rid-stuck');
    if (stuck.status === 200) await expect(stuck.text()).rejects.toThrow();
    else expect(stuck.status).toBe(504);
    expect(await waitFor(() => worker.restarts === restarts + 1, 5_000)).toBe(true);
    expect(await waitFor(() => worker.state === 'ready', 10_000)).toBe(true);
  });
});
