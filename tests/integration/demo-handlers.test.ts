// The demo handlers as deployed: each bundled into one ES module (as `edgenn deploy` does), then
// called with Web Requests and an env.AI backed by real ONNX Runtime sessions.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceSession } from 'onnxruntime-common';
import { closeSession, openSession, runSession } from '../../model-host/engine/onnx.ts';
import { DEMO_HANDLERS, DEMO_MODELS } from '../../demo/models/catalog.ts';
import { fixVadWindow } from '../../demo/models/vad-window.ts';
import type { Env, Handler } from '../../wit/types.ts';
import { EdgennError } from '../../wit/errors.ts';

const sessions = new Map<string, InferenceSession>();
const calls: string[] = [];
const env: Env = {
  AI: {
    async run(model, inputs) {
      calls.push(model);
      const s = sessions.get(model);
      if (!s) throw new EdgennError('not-found', `no model '${model}' in this test`);
      return runSession(s, inputs);
    },
    async loadByName() {
      throw new Error('not used by the demo handlers');
    },
  },
};

async function load(name: string): Promise<Handler> {
  const file = DEMO_HANDLERS.find((h) => h.name === name)!.file;
  const out = await build({ entryPoints: [file], bundle: true, write: false, format: 'esm', platform: 'neutral', target: 'es2022', mainFields: ['browser', 'module', 'main'], logLevel: 'silent' });
  const code = out.outputFiles[0]!.text;
  // The bundle must stand alone: no Node built-ins (workerd has none without nodejs_compat).
  expect(code).not.toMatch(/from\s*["']node:/);
  return (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)).default as Handler;
}

const ctx = { waitUntil() {}, passThroughOnException() {} };
const post = (path: string, body: Uint8Array | string) => new Request(`http://demo.test${path}`, { method: 'POST', body, headers: { 'x-request-id': 'req-1' } });

let ocr: Handler;
let background: Handler;
let vad: Handler;
beforeAll(async () => {
  for (const m of DEMO_MODELS.filter((m) => m.meta.name.startsWith('ocr-'))) sessions.set(m.meta.name, (await openSession(m.source, { intraOpNumThreads: 1 })).session);
  const vadModel = DEMO_MODELS.find((m) => m.meta.name === 'silero-vad')!;
  sessions.set('silero-vad', (await openSession(fixVadWindow(readFileSync(vadModel.source)), { intraOpNumThreads: 1 })).session);
  [ocr, background, vad] = await Promise.all([load('ocr'), load('background'), load('vad')]);
});
afterAll(async () => {
  for (const s of sessions.values()) await closeSession(s);
});

describe('demo handlers, bundled', () => {
  it('ocr: a PNG in, the lines of text out as JSON', async () => {
    const res = await ocr.fetch(post('/ocr', readFileSync('demo/samples/text.png')), env, ctx);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { lines: { text: string; confidence: number; box: number[][] }[] };
    expect(body.lines.map((l) => l.text)).toEqual(['Edge Inference 2026', 'hello from workerd']);
    expect(body.lines[0]!.box).toHaveLength(4);
    expect(calls).toEqual(['ocr-det', 'ocr-cls', 'ocr-rec']);
  });

  it('vad: a WAV in, speech segments out as JSON', async () => {
    const res = await vad.fetch(post('/vad', readFileSync('demo/samples/speech.wav')), env, ctx);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { duration: number; segments: { start: number; end: number }[] };
    expect(body.segments).toHaveLength(2);
    expect(body.segments[1]!.start).toBeGreaterThan(body.segments[0]!.end);
  });

  it('answers bad input with the one error shape, before calling any model', async () => {
    calls.length = 0;
    for (const [handler, req, code] of [
      [ocr, post('/ocr', 'plain text, not a picture'), 'invalid-encoding'],
      [background, post('/background', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])), 'invalid-encoding'],
      [ocr, new Request('http://demo.test/ocr', { headers: { 'x-request-id': 'req-1' } }), 'invalid-argument'],
      [background, post('/background', new Uint8Array(0)), 'invalid-argument'],
      [vad, post('/vad', 'RIFF....WAVEnope'), 'invalid-encoding'],
    ] as const) {
      const res = await handler.fetch(req, env, ctx);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string; retryable: boolean; requestId: string } };
      expect(body.error).toMatchObject({ code, retryable: false, requestId: 'req-1' });
      expect(body.error.message).toMatch(/PNG|POST|WAV/);
    }
    expect(calls).toEqual([]);
  });

  it('passes a binding error through with its code and status (model not allowed / not ready)', async () => {
    const res = await background.fetch(post('/background', readFileSync('demo/samples/photo.png')), env, ctx);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not-found');
  });
});
