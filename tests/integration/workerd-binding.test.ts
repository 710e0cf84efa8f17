// env.AI inside workerd against real ONNX Runtime: run and loadByName/compute return the right
// numbers, the allow-list refuses other models naming the manifest key, errors are typed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { createWorkerdRuntime } from '../../edge/workerd/runtime.ts';
import type { WorkerInstance, WorkerRuntime } from '../../edge/contracts.ts';
import { addModel, scaleModel, twoOutputModel } from '../fixtures/onnx-models.ts';
import { createTestRouter, type TestRouter } from '../fixtures/handlers/onnx-router.ts';
import { manifest, specFromSource, tempDir } from '../fixtures/handlers/deploy.ts';

const HANDLER = `
function describeError(e) {
  return { thrown: true, name: e.name, code: e.code, retryable: e.retryable, data: e.data, message: e.message, retryAfter: e.retryAfter, isError: e instanceof Error };
}
export default {
  async fetch(request, env) {
    const { op, model, x, k, inputs } = await request.json();
    try {
      if (op === 'run') {
        const out = await env.AI.run(model, { x: { type: 'FP32', dims: [x.length / 4, 4], data: new Float32Array(x) } });
        return Response.json({ type: out.y.type, dims: out.y.dims, y: Array.from(out.y.data), array: out.y.data.constructor.name });
      }
      if (op === 'scale') {
        const out = await env.AI.run(model, { x: { type: 'FP32', dims: [1, 3], data: new Float32Array(x) }, k: { type: 'I64', dims: [], data: new BigInt64Array([BigInt(k)]) } });
        return Response.json({ y: Array.from(out.y.data) });
      }
      if (op === 'graph') {
        const graph = await env.AI.loadByName(model);
        const ctx = graph.initExecutionContext();
        const a = await ctx.compute({ x: { type: 'FP32', dims: [1, 4], data: new Float32Array(x) } });
        const b = await graph.compute({ x: { type: 'FP32', dims: [1, 4], data: a.y.data } });
        return Response.json({ name: graph.name, a: Array.from(a.y.data), b: Array.from(b.y.data) });
      }
      if (op === 'outputs') {
        const x2 = { x: { type: 'FP32', dims: [1, 4], data: new Float32Array(x) } };
        const names = (o) => Object.fromEntries(Object.entries(o).map(([k, t]) => [k, Array.from(t.data)]));
        const graph = await env.AI.loadByName(model);
        return Response.json({
          all: names(await env.AI.run(model, x2)),
          run: names(await env.AI.run(model, x2, { outputs: request.headers.get('x-outputs').split(',') })),
          compute: names(await graph.compute(x2, { outputs: ['y'] })),
          context: names(await graph.initExecutionContext().compute(x2, { outputs: ['z'] })),
        });
      }
      if (op === 'badOutputs') return Response.json(await env.AI.run(model, { x: { type: 'FP32', dims: [1, 4], data: new Float32Array(4) } }, inputs));
      if (op === 'raw') return Response.json(await env.AI.run(model, inputs));
      if (op === 'load') return Response.json({ name: (await env.AI.loadByName(model)).name });
    } catch (e) {
      return Response.json(describeError(e));
    }
    return new Response('unknown op', { status: 400 });
  },
};`;

let dir: string;
let router: TestRouter;
let runtime: WorkerRuntime;
let worker: WorkerInstance;

async function call(body: unknown, rid = 'rid', headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await worker.fetch(new Request('http://t.test/', { method: 'POST', body: JSON.stringify(body), headers }), rid);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  dir = tempDir();
  router = await createTestRouter({ 'add@stable': addModel({ bias: 1 }), 'add@2.0.0': addModel({ bias: 10 }), scale: scaleModel(3), two: twoOutputModel(4), 'other': addModel({ bias: 100 }), busy: addModel() }, { unavailable: ['busy'] });
  runtime = createWorkerdRuntime({ runDir: `${dir}/run`, router });
  worker = await runtime.start(specFromSource(dir, manifest('ai', { models: ['add@stable', 'add@2.0.0', 'scale', 'two', 'busy', 'gone'] }), HANDLER));
});

afterAll(async () => {
  await runtime?.close();
  await router?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('env.AI', () => {
  it('run() returns the model output as typed arrays with dims', async () => {
    const r = await call({ op: 'run', model: 'add@2.0.0', x: [1, 2, 3, 4, 5, 6, 7, 8] }, 'rid-run');
    expect(r).toEqual({ type: 'FP32', dims: [2, 4], y: [11, 12, 13, 14, 15, 16, 17, 18], array: 'Float32Array' });
    expect(router.calls.at(-1)).toMatchObject({ ref: 'add@2.0.0', requestId: 'rid-run' });
    expect(router.calls.at(-1)!.deadline).toBeGreaterThan(Date.now() - 60_000);
  });

  it('run(model, inputs, { outputs }) and compute(inputs, { outputs }) bring back only the outputs named', async () => {
    const before = router.calls.length;
    const r = await call({ op: 'outputs', model: 'two', x: [1, 2, 3, 4] }, 'rid-out', { 'x-outputs': 'z' });
    expect(r).toEqual({ all: { y: [2, 3, 4, 5], z: [2, 4, 6, 8] }, run: { z: [2, 4, 6, 8] }, compute: { y: [2, 3, 4, 5] }, context: { z: [2, 4, 6, 8] } });
    // The option reached the router as InferOptions.outputs; absent when the handler gave none.
    expect(router.calls.slice(before).map((c) => c.outputs)).toEqual([undefined, ['z'], ['y'], ['z']]);
  });

  it('an unknown or malformed outputs option is invalid-argument, naming the model outputs', async () => {
    const unknown = await call({ op: 'badOutputs', model: 'two', inputs: { outputs: ['mask'] } });
    expect(unknown).toMatchObject({ thrown: true, code: 'invalid-argument', retryable: false });
    expect(unknown.message).toMatch(/'mask'.*'y', 'z'/);
    for (const bad of [{ outputs: 'z' }, { outputs: [] }, { outputs: [1] }, { outputs: ['z', 'z'] }]) {
      expect(await call({ op: 'badOutputs', model: 'two', inputs: bad }), JSON.stringify(bad)).toMatchObject({ thrown: true, code: 'invalid-argument' });
    }
  });

  it('carries I64 scalars in binary', async () => {
    expect(await call({ op: 'scale', model: 'scale', x: [1, 2, 3], k: 3 })).toEqual({ y: [3, 6, 9] });
  });

  it('loadByName → initExecutionContext().compute and graph.compute', async () => {
    expect(await call({ op: 'graph', model: 'add@stable', x: [0, 1, 2, 3] })).toEqual({ name: 'add@stable', a: [1, 2, 3, 4], b: [2, 3, 4, 5] });
  });

  it('an allowed ref is not a wildcard: another deployment\'s model is `security`, naming the manifest key', async () => {
    const r = await call({ op: 'run', model: 'other', x: [0, 0, 0, 0] });
    expect(r).toMatchObject({ thrown: true, isError: true, code: 'security', retryable: false, name: 'InferenceError' });
    expect(r.message).toContain("add 'other' to `models` in the handler manifest (edgenn deploy --model other)");
    expect(r.data).toBe(r.message);
    const l = await call({ op: 'load', model: 'add@9.9.9' });
    expect(l).toMatchObject({ code: 'security' });
    expect(router.calls.some((c) => c.ref === 'other' || c.ref === 'add@9.9.9')).toBe(false);
  });

  it('a bare name matching two listed refs is refused as ambiguous', async () => {
    const r = await call({ op: 'run', model: 'add', x: [0, 0, 0, 0] });
    expect(r).toMatchObject({ code: 'security' });
    expect(r.message).toContain("'add@stable', 'add@2.0.0'");
  });

  it('errors carry code and retryable: unavailable is retryable with retryAfter, not-found is not', async () => {
    expect(await call({ op: 'run', model: 'busy', x: [0, 0, 0, 0] })).toMatchObject({ code: 'unavailable', retryable: true, retryAfter: 2 });
    expect(await call({ op: 'run', model: 'gone', x: [0, 0, 0, 0] })).toMatchObject({ code: 'not-found', retryable: false });
  });

  it('bad inputs are refused in the binding (invalid-argument) or by ONNX Runtime, not crashing anything', async () => {
    expect(await call({ op: 'raw', model: 'scale', inputs: { x: { type: 'FP99', dims: [1], data: [] } } })).toMatchObject({ code: 'invalid-argument', retryable: false });
    expect(await call({ op: 'raw', model: 'scale', inputs: { x: { type: 'FP32', dims: [2, 3], data: null } } })).toMatchObject({ code: 'invalid-argument' });
    const wrong = await call({ op: 'run', model: 'scale', x: [1, 2, 3, 4] });
    expect(wrong).toMatchObject({ thrown: true, code: 'invalid-argument' });
  });
});
