// The model page's handler snippet is real code: compiled as written and run against real ONNX
// Runtime sessions of generated models, fed the curl example's body, it must produce the right outputs.
import { afterAll, describe, expect, it } from 'vitest';
import { transform } from 'esbuild';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSession, runSession, closeSession } from '../../model-host/engine/onnx.ts';
import { addModel, scaleModel, twoOutputModel } from '../../tests/fixtures/onnx-models.ts';
import type { ModelManifest, Signature } from '../manifest.ts';
import type { Env, Handler, NamedTensors } from '../../wit/types.ts';
import { curlExample, deployLine, handlerSnippet } from './snippet.ts';

const dir = await mkdtemp(join(tmpdir(), 'edgenn-snippet-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

function manifest(name: string, signature: Signature): ModelManifest {
  return {
    name,
    version: '1.0.0',
    digest: `sha256:${'0'.repeat(64)}`,
    size: 100,
    description: '',
    license: '',
    labels: {},
    task: '',
    placement: 'auto',
    preload: false,
    signature,
    created: '2026-01-01T00:00:00.000Z',
  };
}

/** Compiles the snippet exactly as a user would paste it, and returns its default export. */
async function load(source: string, file: string): Promise<Handler> {
  const { code } = await transform(source, { loader: 'ts', format: 'esm' });
  const path = join(dir, file);
  await writeFile(path, code);
  return ((await import(pathToFileURL(path).href)) as { default: Handler }).default;
}

/** env.AI backed by a real ORT session; records which model name the handler asked for. */
async function realEnv(bytes: Uint8Array): Promise<{ env: Env; calls: string[]; close(): Promise<void> }> {
  const { session } = await openSession(bytes);
  const calls: string[] = [];
  const run = async (model: string, inputs: NamedTensors) => {
    calls.push(model);
    return runSession(session, inputs);
  };
  const env: Env = { AI: { run, loadByName: async () => ({ name: '', compute: (i: NamedTensors) => run('', i), initExecutionContext: () => ({ compute: (i: NamedTensors) => run('', i) }) }) } };
  return { env, calls, close: () => closeSession(session) };
}

const ctx = { waitUntil() {}, passThroughOnException() {} };
const post = (body: unknown) => new Request('http://edge.test/x', { method: 'POST', body: JSON.stringify(body) });
const curlBody = (curl: string) => JSON.parse(/-d '(.*)'$/m.exec(curl)![1]!) as Record<string, number[]>;

describe('handler snippet', () => {
  it('runs the add model: names, FP32 type and dims from the signature, dynamic batch as 1', async () => {
    const bytes = addModel({ width: 4, bias: 1.5 });
    const { signature } = await openSession(bytes);
    const m = manifest('adder', signature);
    const source = handlerSnippet(m);
    expect(source).toContain("env.AI.run('adder'");
    expect(source).toContain('Float32Array');
    const handler = await load(source, 'adder.mjs');
    const real = await realEnv(bytes);
    try {
      const res = await handler.fetch(post({ x: [1, 2, 3, 4] }), real.env, ctx);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ y: { type: 'FP32', dims: [1, 4], data: [2.5, 3.5, 4.5, 5.5] } });
      expect(real.calls).toEqual(['adder']);

      // The curl example's body is accepted as is.
      const fromCurl = await handler.fetch(post(curlBody(curlExample(m, 'http://127.0.0.1:8787'))), real.env, ctx);
      expect((await fromCurl.json()) as unknown).toEqual({ y: { type: 'FP32', dims: [1, 4], data: [1.5, 1.5, 1.5, 1.5] } });
    } finally {
      await real.close();
    }
  });

  it('for a model with several outputs, says how to ask for fewer and still runs as written', async () => {
    const bytes = twoOutputModel(4);
    const { signature } = await openSession(bytes);
    const source = handlerSnippet(manifest('twin', signature));
    expect(source).toContain(`pass a third argument to run: { outputs: ["y"] }`);
    expect(handlerSnippet(manifest('adder', (await openSession(addModel())).signature))).not.toContain('third argument');
    const handler = await load(source, 'twin.mjs');
    const real = await realEnv(bytes);
    try {
      const res = await handler.fetch(post({ x: [1, 2, 3, 4] }), real.env, ctx);
      expect(await res.json()).toEqual({ y: { type: 'FP32', dims: [1, 4], data: [2, 3, 4, 5] }, z: { type: 'FP32', dims: [1, 4], data: [2, 4, 6, 8] } });
    } finally {
      await real.close();
    }
  });

  it('runs the scale model: a rank-0 I64 input becomes a BigInt64Array with dims []', async () => {
    const bytes = scaleModel(3);
    const { signature } = await openSession(bytes);
    const m = manifest('scaler', signature);
    const source = handlerSnippet(m);
    expect(source).toContain('BigInt64Array.from(body.k');
    expect(source).toContain("k: { type: 'I64', dims: [], ");
    const handler = await load(source, 'scaler.mjs');
    const real = await realEnv(bytes);
    try {
      const res = await handler.fetch(post({ x: [1, 2, 3], k: [4] }), real.env, ctx);
      expect(await res.json()).toEqual({ y: { type: 'FP32', dims: [1, 3], data: [4, 8, 12] } });
      // A missing body means zeros, not a crash.
      const empty = await handler.fetch(new Request('http://edge.test/x', { method: 'POST' }), real.env, ctx);
      expect(await empty.json()).toEqual({ y: { type: 'FP32', dims: [1, 3], data: [0, 0, 0] } });
    } finally {
      await real.close();
    }
  });

  it('keeps odd tensor names valid code and comments on one line', async () => {
    const m = manifest('odd', {
      inputs: [{ name: "in.put'1\n*/", type: 'U8', shape: ['h\nx', 2] }],
      outputs: [{ name: 'out', type: 'U8', shape: ['h', 2] }],
    });
    const source = handlerSnippet(m);
    const handler = await load(source, 'odd.mjs');
    let seen: NamedTensors | undefined;
    const env: Env = { AI: { run: async (_n, inputs) => ((seen = inputs), { out: inputs["in.put'1\n*/"]! }), loadByName: async () => { throw new Error('unused'); } } };
    const res = await handler.fetch(post({}), env, ctx);
    expect(res.status).toBe(200);
    expect(seen!["in.put'1\n*/"]!.dims).toEqual([1, 2]);
    expect(seen!["in.put'1\n*/"]!.data).toBeInstanceOf(Uint8Array);
    // The shell quoting survives a quote in the name.
    expect(curlExample(m, 'http://h')).toContain(`'\\''`);
  });

  it('leaves large inputs out of the curl body and says so', async () => {
    const m = manifest('big', { inputs: [{ name: 'image', type: 'FP32', shape: [1, 3, 'h', 224] }], outputs: [] });
    const curl = curlExample(m, 'http://h');
    expect(curl).toMatch(/^# image \(672 values\) is left out here/);
    expect(curlBody(curl)).toEqual({});
  });

  it('deploys with the model on the allow-list and a route the curl line calls', () => {
    const m = manifest('adder', { inputs: [], outputs: [] });
    expect(deployLine(m)).toBe("edgenn deploy handler.ts --name adder-api --route '/adder' --model adder");
    expect(curlExample(m, 'http://127.0.0.1:8787/')).toContain("'http://127.0.0.1:8787/adder'");
  });
});
