// A plain handler and a Hono app, each in its own workerd process, served through
// WorkerInstance.fetch with request and response bodies streamed both ways.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { createWorkerdRuntime } from '../../edge/workerd/runtime.ts';
import type { WorkerInstance, WorkerRuntime } from '../../edge/contracts.ts';
import { createTestRouter, type TestRouter } from '../fixtures/handlers/onnx-router.ts';
import { bundleHandler, manifest, specFromSource, tempDir } from '../fixtures/handlers/deploy.ts';

const PLAIN = `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/echo') {
      // Streams the request body back, upper-cased, chunk by chunk.
      const upper = new TransformStream({ transform(chunk, c) { c.enqueue(new TextEncoder().encode(new TextDecoder().decode(chunk).toUpperCase())); } });
      return new Response(request.body.pipeThrough(upper), { headers: { 'content-type': 'text/plain' } });
    }
    if (url.pathname === '/stream') {
      let i = 0;
      const body = new ReadableStream({ async pull(c) { if (i === 3) return c.close(); c.enqueue(new TextEncoder().encode('part' + i++ + ';')); await new Promise((r) => setTimeout(r, 20)); } });
      return new Response(body);
    }
    return Response.json({ method: request.method, path: url.pathname, host: url.host, rid: request.headers.get('x-request-id'), leaked: request.headers.get('x-edgenn-probe'), env: Object.keys(env).sort(), greeting: env.GREETING });
  },
};`;

const HONO = `
import { Hono } from 'hono';
const app = new Hono();
app.get('/hono/hello/:who', (c) => c.json({ hello: c.req.param('who'), var: c.env.GREETING }));
app.post('/hono/sum', async (c) => { const { a, b } = await c.req.json(); return c.json({ sum: a + b }); });
export default app;`;

let dir: string;
let router: TestRouter;
let runtime: WorkerRuntime;
let plain: WorkerInstance;
let hono: WorkerInstance;

beforeAll(async () => {
  dir = tempDir();
  router = await createTestRouter({});
  runtime = createWorkerdRuntime({ runDir: `${dir}/run`, router });
  const vars = { GREETING: 'hi "there"\n' };
  [plain, hono] = await Promise.all([
    runtime.start(specFromSource(dir, manifest('plain', { vars }), PLAIN)),
    bundleHandler(dir, manifest('hono', { vars }), HONO).then((s) => runtime.start(s)),
  ]);
});

afterAll(async () => {
  await runtime?.close();
  await router?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('handlers in workerd', () => {
  it('serves a plain handler that sees only env.AI and its variables', async () => {
    expect(plain.state).toBe('ready');
    const res = await plain.fetch(new Request('http://example.test/info?q=1', { headers: { 'x-edgenn-probe': 'guess' } }), 'rid-1');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ method: 'GET', path: '/info', host: 'example.test', rid: 'rid-1', leaked: null, env: ['AI', 'GREETING'], greeting: 'hi "there"\n' });
  });

  it('streams a request body in and a response body out', async () => {
    const chunks = ['alpha ', 'beta ', 'gamma'];
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        const next = chunks.shift();
        if (next === undefined) return c.close();
        c.enqueue(new TextEncoder().encode(next));
        await new Promise((r) => setTimeout(r, 10));
      },
    });
    const res = await plain.fetch(new Request('http://example.test/echo', { method: 'POST', body, duplex: 'half' } as RequestInit), 'rid-2');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ALPHA BETA GAMMA');
    const streamed = await plain.fetch(new Request('http://example.test/stream'), 'rid-3');
    const parts: string[] = [];
    const reader = streamed.body!.getReader();
    for (let i = 0; i < 20; i++) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(new TextDecoder().decode(value));
    }
    expect(parts.join('')).toBe('part0;part1;part2;');
  });

  it('serves a Hono app bundled with esbuild, as is', async () => {
    const hello = await hono.fetch(new Request('http://example.test/hono/hello/ada'), 'rid-4');
    expect(await hello.json()).toEqual({ hello: 'ada', var: 'hi "there"\n' });
    const sum = await hono.fetch(new Request('http://example.test/hono/sum', { method: 'POST', body: JSON.stringify({ a: 2, b: 40 }), headers: { 'content-type': 'application/json' } }), 'rid-5');
    expect(await sum.json()).toEqual({ sum: 42 });
    const missing = await hono.fetch(new Request('http://example.test/hono/nope'), 'rid-6');
    expect(missing.status).toBe(404);
  });

  it('keeps connections alive across requests (many sequential requests succeed)', async () => {
    for (let i = 0; i < 30; i++) {
      const res = await plain.fetch(new Request(`http://example.test/n${i}`), `rid-n${i}`);
      expect(((await res.json()) as { path: string }).path).toBe(`/n${i}`);
    }
  });
});
