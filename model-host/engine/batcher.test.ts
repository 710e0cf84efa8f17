import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgennError } from '../../wit/errors.ts';
import type { NamedTensors } from '../../wit/types.ts';
import { addModel, scaleModel, twoOutputModel } from '../../tests/fixtures/onnx-models.ts';
import { createBatcher, isBatchable, warmupBatchSizes, DEFAULT_BATCHING } from './batcher.ts';
import { closeSession, openSession, runSession, type OpenSession } from './onnx.ts';

let add: OpenSession;
let scale: OpenSession;
let two: OpenSession;

beforeAll(async () => {
  add = await openSession(addModel({ width: 4, bias: 1 }));
  scale = await openSession(scaleModel(3));
  two = await openSession(twoOutputModel(4));
});
afterAll(async () => {
  await closeSession(add.session);
  await closeSession(scale.session);
  await closeSession(two.session);
});

function rowsOf(n: number, seed: number, width = 4): NamedTensors {
  return { x: { type: 'FP32', dims: [n, width], data: Float32Array.from({ length: n * width }, (_, i) => seed * 100 + i) } };
}

/** A real session, counting what reaches it. */
function counted(s: OpenSession) {
  const runs: NamedTensors[] = [];
  return { runs, run: (inputs: NamedTensors, outputs?: string[]) => (runs.push(inputs), runSession(s.session, inputs, outputs)) };
}

/** A run that waits until opened: keeps the model's one slot busy so requests queue behind it. */
function gated(c: ReturnType<typeof counted>) {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  return { open, run: async (inputs: NamedTensors, outputs?: string[]) => (await gate, c.run(inputs, outputs)) };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(EdgennError);
    return (err as EdgennError).code;
  }
}

describe('batcher', () => {
  it('knows which signatures batch and which sizes to warm', () => {
    expect(isBatchable(add.signature)).toBe(true);
    expect(isBatchable(scale.signature)).toBe(false); // the scalar k has no batch axis
    expect(warmupBatchSizes(add.signature, DEFAULT_BATCHING)).toEqual([1, 2, 4, 8]);
    expect(warmupBatchSizes(scale.signature, DEFAULT_BATCHING)).toEqual([1]);
  });

  it('runs a lone request on an idle model at once with the default delay of 0', async () => {
    const c = counted(add);
    const sizes: number[] = [];
    const b = createBatcher({ signature: add.signature, run: c.run, batching: {}, onBatch: (n) => sizes.push(n) });
    const out = b.submit(rowsOf(1, 1));
    // Dispatched synchronously inside submit: the run has already reached the backend.
    expect(c.runs.length).toBe(1);
    expect(sizes).toEqual([1]);
    expect(Array.from((await out).y!.data as Float32Array)).toEqual([101, 102, 103, 104]);
    expect(b.depth).toBe(0);
  });

  it('with a positive delay, holds the first request on an idle model for company, then runs the group as one batch', async () => {
    const c = counted(add);
    const sizes: number[] = [];
    const b = createBatcher({ signature: add.signature, run: c.run, batching: { maxQueueDelayUs: 30_000 }, onBatch: (n) => sizes.push(n) });
    const first = b.submit(rowsOf(1, 1));
    // Nothing reached the backend yet: the head waits for company although the slot is idle.
    expect(c.runs.length).toBe(0);
    const second = b.submit(rowsOf(1, 2));
    const [a, z] = await Promise.all([first, second]);
    expect(sizes).toEqual([2]);
    expect(c.runs.length).toBe(1);
    expect(Array.from(a.y!.data as Float32Array)).toEqual([101, 102, 103, 104]);
    expect(z.y!.dims).toEqual([1, 4]);
  });

  it('batches requests that queue while the slot is busy and splits rows back to each caller', async () => {
    const c = counted(add);
    const g = gated(c);
    const sizes: number[] = [];
    const b = createBatcher({ signature: add.signature, run: g.run, batching: {}, onBatch: (n) => sizes.push(n) });
    const reqs = [1, 1, 2, 1, 3].map((n, i) => rowsOf(n, i));
    const pending = reqs.map((r) => b.submit(r));
    // The first took the idle slot alone; the other four wait together for it.
    expect(sizes).toEqual([1]);
    expect(b.depth).toBe(4);
    g.open();
    const outs = await Promise.all(pending);
    expect(c.runs.map((r) => r.x!.dims)).toEqual([[1, 4], [7, 4]]);
    expect(sizes).toEqual([1, 4]);
    outs.forEach((o, i) => {
      expect(o.y!.dims).toEqual(reqs[i]!.x!.dims);
      expect(Array.from(o.y!.data as Float32Array)).toEqual(Array.from(reqs[i]!.x!.data as Float32Array, (v) => v + 1));
    });
  });

  it('batches only requests that ask for the same outputs, and each gets exactly what it asked for', async () => {
    const fetched: (string[] | undefined)[] = [];
    const c = counted(two);
    const g = gated(c);
    const b = createBatcher({ signature: two.signature, run: (i, o) => (fetched.push(o), g.run(i, o)), batching: {} });
    // A first request holds the one slot so the six asks below queue together.
    const first = b.submit(rowsOf(1, 9), { outputs: ['y'] });
    const asks: (string[] | undefined)[] = [['z'], ['y'], ['z'], undefined, ['z', 'y'], ['y', 'z']];
    const pending = asks.map((o, i) => b.submit(rowsOf(1, i), o ? { outputs: o } : {}));
    g.open();
    const outs = await Promise.all(pending);
    await first;
    // Four distinct fetch lists ([z], [y], all, {y,z} in either order) → four runs after the first, not one.
    expect(c.runs.length).toBe(5);
    expect(fetched.slice(1).map((o) => (o ? [...o].sort().join('+') : 'all')).sort()).toEqual(['all', 'y', 'y+z', 'z']);
    outs.forEach((o, i) => {
      const x = Array.from(rowsOf(1, i).x!.data as Float32Array);
      expect(Object.keys(o).sort()).toEqual(asks[i] ? [...asks[i]!].sort() : ['y', 'z']);
      if (o.y) expect(Array.from(o.y.data as Float32Array)).toEqual(x.map((v) => v + 1));
      if (o.z) expect(Array.from(o.z.data as Float32Array)).toEqual(x.map((v) => v * 2));
    });
  });

  it('runs a non-batchable model one request at a time and answers busy beyond the queue limit', async () => {
    const c = counted(scale);
    let maxRunning = 0;
    let running = 0;
    const run = async (inputs: NamedTensors) => {
      maxRunning = Math.max(maxRunning, ++running);
      try {
        return await c.run(inputs);
      } finally {
        running--;
      }
    };
    const b = createBatcher({ signature: scale.signature, run, batching: { maxQueue: 3 } });
    const req = (k: bigint): NamedTensors => ({ x: { type: 'FP32', dims: [2, 3], data: new Float32Array(6).fill(1) }, k: { type: 'I64', dims: [], data: BigInt64Array.of(k) } });
    // One is dispatched at once, three wait, the fifth finds the queue full.
    const ps = [1n, 2n, 3n, 4n, 5n].map((k) => b.submit(req(k)));
    const codes = await Promise.all(ps.map(codeOf));
    expect(codes).toEqual(['ok', 'ok', 'ok', 'ok', 'busy']);
    expect(maxRunning).toBe(1);
    expect(c.runs.length).toBe(4);
    expect(Array.from((await b.submit(req(7n))).y!.data as Float32Array)).toEqual([7, 7, 7, 7, 7, 7]);
  });

  it('answers timeout for a request whose deadline passes while queued, without computing it', async () => {
    const c = counted(add);
    const g = gated(c);
    const b = createBatcher({ signature: add.signature, run: g.run, batching: {} });
    const busy = b.submit(rowsOf(1, 0));
    const late = b.submit(rowsOf(1, 1), { deadline: Date.now() + 20 });
    expect(await codeOf(late)).toBe('timeout');
    expect(await codeOf(b.submit(rowsOf(1, 2), { deadline: Date.now() - 1 }))).toBe('timeout');
    // drain runs what is queued, then reports idle.
    const onTime = b.submit(rowsOf(1, 3), { deadline: Date.now() + 60_000 });
    g.open();
    await b.drain();
    expect(await codeOf(busy)).toBe('ok');
    expect(await codeOf(onTime)).toBe('ok');
    expect(c.runs.map((r) => r.x!.data[0])).toEqual([0, 300]); // the late one was never computed
    expect(b.pending).toBe(0);
  });

  it('answers timeout instead of a late answer when the deadline passes during the inference', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const c = counted(add);
    const b = createBatcher({ signature: add.signature, run: async (i, o) => (await gate, c.run(i, o)), batching: { maxBatchSize: 1 } });
    const slow = b.submit(rowsOf(1, 1), { deadline: Date.now() + 20 });
    await expect(slow).rejects.toMatchObject({ code: 'timeout', message: expect.stringMatching(/before the inference finished/) });
    open();
    await b.drain();
    expect(c.runs.length).toBe(1); // it was computed, but its answer was not delivered late
  });

  it('close rejects queued requests and refuses new ones', async () => {
    const c = counted(add);
    const g = gated(c);
    const b = createBatcher({ signature: add.signature, run: g.run, batching: {} });
    const running = b.submit(rowsOf(1, 0));
    const queued = b.submit(rowsOf(1, 1));
    b.close(new EdgennError('unavailable', 'unloading'));
    expect(await codeOf(queued)).toBe('unavailable');
    expect(await codeOf(b.submit(rowsOf(1, 1)))).toBe('unavailable');
    g.open();
    expect(await codeOf(running)).toBe('ok'); // what was already running finishes
    expect(c.runs.length).toBe(1);
  });
});
