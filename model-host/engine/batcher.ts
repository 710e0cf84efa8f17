// Dynamic batching, one queue per loaded model: concurrent requests that agree on every non-batch
// dimension run as one inference (inputs concatenated along axis 0, outputs split back by rows).
import { EdgennError, toEdgennError } from '../../wit/errors.ts';
import type { NamedTensors, Tensor } from '../../wit/types.ts';
import { isDynamic, type Signature } from '../../registry/manifest.ts';
import type { BatchingOptions, InferOptions } from './types.ts';
import { ARRAY_OF, elementCount } from './validate.ts';

/** maxBatchSize counts rows along the batch axis (Triton's max_batch_size), not requests. */
export const DEFAULT_BATCHING: Readonly<BatchingOptions> = Object.freeze({ maxBatchSize: 8, maxQueueDelayUs: 0, maxQueue: 256 });

export function batchingOptions(opts: Partial<BatchingOptions> = {}): BatchingOptions {
  const o = { ...DEFAULT_BATCHING, ...opts };
  for (const [k, min] of [['maxBatchSize', 1], ['maxQueueDelayUs', 0], ['maxQueue', 1]] as const) {
    if (!Number.isSafeInteger(o[k]) || o[k] < min) throw new EdgennError('invalid-argument', `batching.${k} must be an integer >= ${min}, got ${String(o[k])}`);
  }
  return o;
}

/** A model can be batched when every input and output has a dynamic first dimension (the batch axis). */
export function isBatchable(signature: Signature): boolean {
  const all = [...signature.inputs, ...signature.outputs];
  return signature.inputs.length > 0 && all.every((s) => s.shape.length > 0 && isDynamic(s.shape[0]!));
}

/** Batch sizes to warm up at: the powers of two the batcher passes through, and its maximum. */
export function warmupBatchSizes(signature: Signature, opts: BatchingOptions): number[] {
  if (!isBatchable(signature) || opts.maxBatchSize <= 1) return [1];
  const sizes = new Set<number>();
  for (let b = 1; b < opts.maxBatchSize; b *= 2) sizes.add(b);
  sizes.add(opts.maxBatchSize);
  return [...sizes];
}

export interface BatcherOptions {
  signature: Signature;
  /** Runs one inference on (possibly concatenated) inputs. */
  run: (inputs: NamedTensors, outputs?: string[]) => Promise<NamedTensors>;
  batching?: Partial<BatchingOptions>;
  /** Batches in flight at once (the CPU pool runs one per worker). Default 1. */
  concurrency?: number;
  /** `name@version`, for messages. */
  label?: string;
  onBatch?: (requests: number, rows: number) => void;
  onQueue?: (depth: number) => void;
}

export interface Batcher {
  readonly batchable: boolean;
  /** Requests waiting for a batch. */
  readonly depth: number;
  /** Requests queued or running. */
  readonly pending: number;
  submit(inputs: NamedTensors, opts?: InferOptions): Promise<NamedTensors>;
  /** Stops waiting for company and resolves once nothing is queued or running. */
  drain(): Promise<void>;
  /** Refuses new requests and rejects queued ones with `reason`. */
  close(reason: EdgennError): void;
}

interface Item {
  inputs: NamedTensors;
  outputs?: string[];
  rows: number;
  /** Requests with equal keys may share a batch; undefined means "always alone". */
  key?: string;
  enqueuedAt: number;
  deadline?: number;
  timer?: NodeJS.Timeout;
  settled: boolean;
  resolve(out: NamedTensors): void;
  reject(err: unknown): void;
}

export function createBatcher(options: BatcherOptions): Batcher {
  const opts = batchingOptions(options.batching);
  const label = options.label ?? 'model';
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const batchable = isBatchable(options.signature) && opts.maxBatchSize > 1;
  const delayMs = opts.maxQueueDelayUs / 1000;
  const queue: Item[] = [];
  let running = 0;
  let runningItems = 0;
  let flushing = false;
  let closed: EdgennError | undefined;
  let timer: NodeJS.Timeout | undefined;
  let idleWaiters: (() => void)[] = [];

  function keyOf(inputs: NamedTensors, outputs?: string[]): { rows: number; key?: string } {
    const first = inputs[options.signature.inputs[0]!.name]!;
    const rows = first.dims[0] ?? 1;
    if (!batchable) return { rows };
    const parts: string[] = [];
    for (const spec of options.signature.inputs) {
      const t = inputs[spec.name]!;
      if (t.dims[0] !== rows || rows === 0) return { rows };
      parts.push(t.dims.slice(1).join(','));
    }
    // Requests asking for different outputs never share a run: one fetch list serves the whole batch.
    parts.push(outputs ? JSON.stringify([...outputs].sort()) : '*');
    return { rows, key: parts.join('|') };
  }

  function settle(item: Item): boolean {
    if (item.settled) return false;
    item.settled = true;
    if (item.timer) clearTimeout(item.timer);
    return true;
  }

  function queueChanged(): void {
    options.onQueue?.(queue.length);
  }

  function checkIdle(): void {
    if (queue.length > 0 || running > 0 || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  function expire(item: Item): void {
    if (!settle(item)) return;
    const at = queue.indexOf(item);
    if (at >= 0) {
      queue.splice(at, 1);
      queueChanged();
    }
    item.reject(new EdgennError('timeout', `${label}: the request deadline passed ${at >= 0 ? 'while it waited in the queue (it was not computed)' : 'before the inference finished'}; retry with a later deadline or when the model is less busy`));
    checkIdle();
  }

  /**
   * The head of the queue and the queued requests that can join it, up to maxBatchSize rows.
   * Called only when an execution slot is idle. With the default delay of 0 it never waits: requests
   * pile up (and so batch) only while every slot is busy, and run together the moment one frees —
   * waiting on an idle backend would add the delay to a lone request for no throughput. A delay > 0
   * asks for Triton's classic behaviour: the head waits up to that long for company even then.
   */
  function formBatch(now: number): Item[] | undefined {
    const head = queue[0]!;
    if (!batchable || head.key === undefined || head.rows >= opts.maxBatchSize) return [head];
    const group = [head];
    let rows = head.rows;
    for (let i = 1; i < queue.length && rows < opts.maxBatchSize; i++) {
      const it = queue[i]!;
      if (it.key === head.key && rows + it.rows <= opts.maxBatchSize) {
        group.push(it);
        rows += it.rows;
      }
    }
    if (rows >= opts.maxBatchSize || flushing || now - head.enqueuedAt >= delayMs) return group;
    if (!timer) {
      timer = setTimeout(() => {
        timer = undefined;
        pump();
      }, Math.max(0, head.enqueuedAt + delayMs - now));
      timer.unref?.();
    }
    return undefined;
  }

  function pump(): void {
    while (running < concurrency && queue.length > 0) {
      const now = performance.now();
      // A request whose deadline has passed is never computed, even if its timer has not fired yet.
      const head = queue[0]!;
      if (head.deadline !== undefined && Date.now() >= head.deadline) {
        expire(head);
        continue;
      }
      const group = formBatch(now);
      if (!group) return;
      for (const it of group) queue.splice(queue.indexOf(it), 1);
      queueChanged();
      void runBatch(group);
    }
  }

  async function runBatch(group: Item[]): Promise<void> {
    running++;
    runningItems += group.length;
    const rows = group.reduce((n, it) => n + it.rows, 0);
    options.onBatch?.(group.length, rows);
    try {
      const inputs = group.length === 1 ? group[0]!.inputs : concatInputs(options.signature, group.map((g) => g.inputs));
      const out = await options.run(inputs, group[0]!.outputs);
      if (group.length === 1) {
        if (settle(group[0]!)) group[0]!.resolve(out);
      } else {
        const parts = splitOutputs(out, group.map((g) => g.rows), label);
        group.forEach((it, i) => settle(it) && it.resolve(parts[i]!));
      }
    } catch (err) {
      const e = toEdgennError(err);
      for (const it of group) if (settle(it)) it.reject(e);
    } finally {
      running--;
      runningItems -= group.length;
      pump();
      checkIdle();
    }
  }

  return {
    batchable,
    get depth() {
      return queue.length;
    },
    get pending() {
      return queue.length + runningItems;
    },
    submit(inputs, inferOpts = {}) {
      if (closed) return Promise.reject(closed);
      if (queue.length >= opts.maxQueue) {
        return Promise.reject(new EdgennError('busy', `${label}: ${queue.length} requests are already queued (the limit is ${opts.maxQueue}); retry shortly`, { retryAfter: 1 }));
      }
      const { deadline } = inferOpts;
      if (deadline !== undefined && Date.now() >= deadline) {
        return Promise.reject(new EdgennError('timeout', `${label}: the request deadline had already passed when it arrived; send a later deadline`));
      }
      return new Promise<NamedTensors>((resolve, reject) => {
        const { rows, key } = keyOf(inputs, inferOpts.outputs);
        const item: Item = { inputs, rows, enqueuedAt: performance.now(), settled: false, resolve, reject };
        if (key !== undefined) item.key = key;
        if (inferOpts.outputs) item.outputs = inferOpts.outputs;
        if (deadline !== undefined) {
          item.deadline = deadline;
          item.timer = setTimeout(() => expire(item), Math.max(0, deadline - Date.now()));
          item.timer.unref?.();
        }
        queue.push(item);
        queueChanged();
        pump();
      });
    },
    drain() {
      flushing = true;
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      const idle = new Promise<void>((resolve) => idleWaiters.push(resolve));
      pump();
      checkIdle();
      return idle;
    },
    close(reason) {
      closed = reason;
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const it of queue.splice(0)) if (settle(it)) it.reject(reason);
      queueChanged();
      checkIdle();
    },
  };
}

/** Concatenates each input along axis 0 (shapes already agree on every other axis). */
function concatInputs(signature: Signature, requests: NamedTensors[]): NamedTensors {
  const out: NamedTensors = {};
  for (const spec of signature.inputs) {
    const parts = requests.map((r) => r[spec.name]!);
    const total = parts.reduce((n, t) => n + t.data.length, 0);
    const data = new ARRAY_OF[spec.type](total);
    let off = 0;
    for (const t of parts) {
      (data as Float32Array).set(t.data as Float32Array, off);
      off += t.data.length;
    }
    const rows = parts.reduce((n, t) => n + t.dims[0]!, 0);
    out[spec.name] = { type: spec.type, dims: [rows, ...parts[0]!.dims.slice(1)], data } as Tensor;
  }
  return out;
}

/** Splits every output back by each request's rows (copies, so each answer owns its buffer). */
function splitOutputs(out: NamedTensors, rows: number[], label: string): NamedTensors[] {
  const total = rows.reduce((a, b) => a + b, 0);
  const parts: NamedTensors[] = rows.map(() => ({}));
  for (const [name, t] of Object.entries(out)) {
    if (t.dims[0] !== total) {
      throw new EdgennError('runtime-error', `${label}: output '${name}' has ${t.dims[0] ?? 'no'} rows for a batch of ${total}, so it cannot be split; serve this model with maxBatchSize 1`);
    }
    const rowSize = elementCount(t.dims.slice(1));
    let row = 0;
    rows.forEach((r, i) => {
      const data = t.data.slice(row * rowSize, (row + r) * rowSize);
      parts[i]![name] = { type: t.type, dims: [r, ...t.dims.slice(1)], data } as Tensor;
      row += r;
    });
  }
  return parts;
}
