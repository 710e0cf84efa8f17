// The in-process Backend: ONNX Runtime sessions in this process (the model-host), warmed on zeros
// at the declared shapes and charged with the resident memory they measurably added.
import { EdgennError } from '../../wit/errors.ts';
import type { NamedTensors, Tensor } from '../../wit/types.ts';
import { isDynamic, type Signature } from '../../registry/manifest.ts';
import { closeSession, openSession, runSession } from './onnx.ts';
import type { Backend, LoadedModel } from './types.ts';
import { ARRAY_OF, elementCount } from './validate.ts';

export interface OrtBackendOptions {
  /** Ask for the CUDA execution provider first (CPU fallback with one log line). */
  preferCuda?: boolean;
  intraOpNumThreads?: number;
  log?: (line: string) => void;
}

/** A warm-up input larger than this is refused as too large rather than allocated. */
const MAX_WARMUP_BYTES = 2 ** 31;

/** Zeros at the declared shapes: dynamic dims = 1, except a dynamic first dim = `batch`. */
export function warmupInputs(signature: Signature, batch: number): NamedTensors {
  const out: NamedTensors = {};
  for (const spec of signature.inputs) {
    const dims = spec.shape.map((d, i) => (isDynamic(d) ? (i === 0 ? batch : 1) : d));
    const Ctor = ARRAY_OF[spec.type];
    const bytes = elementCount(dims) * (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    if (!Number.isSafeInteger(bytes) || bytes > MAX_WARMUP_BYTES) {
      throw new EdgennError('too-large', `warm-up input '${spec.name}' at its declared shape [${dims.join(',')}] would need ${bytes} bytes; the model's declared dimensions are too large to run`);
    }
    out[spec.name] = { type: spec.type, dims, data: new Ctor(elementCount(dims)) } as Tensor;
  }
  return out;
}

/** Runs warm-up once per batch size the lifecycle asks for (so each size the batcher forms is warm). */
export async function warmUp(run: (inputs: NamedTensors) => Promise<unknown>, signature: Signature, batchSizes: number[]): Promise<void> {
  for (const b of batchSizes.length ? batchSizes : [1]) await run(warmupInputs(signature, b));
}

export function createOrtBackend(options: OrtBackendOptions = {}): Backend {
  return {
    async load(manifest, blobPath, warmupBatchSizes, hooks): Promise<LoadedModel> {
      const rssBefore = process.memoryUsage.rss();
      const t0 = performance.now();
      const open = await openSession(blobPath, options);
      const loadMs = performance.now() - t0;
      hooks?.onWarming?.();
      const t1 = performance.now();
      try {
        await warmUp((inputs) => runSession(open.session, inputs), open.signature, warmupBatchSizes);
      } catch (err) {
        await closeSession(open.session).catch(() => {});
        throw err;
      }
      const warmupMs = performance.now() - t1;
      const residentBytes = Math.max(manifest.size, process.memoryUsage.rss() - rssBefore);
      let closed = false;
      return {
        provider: open.provider,
        residentBytes,
        loadMs,
        warmupMs,
        run: (inputs, opts) => {
          if (closed) return Promise.reject(new EdgennError('unavailable', `model ${manifest.name}@${manifest.version} is unloaded`, { retryAfter: 1 }));
          return runSession(open.session, inputs, opts?.outputs);
        },
        async close() {
          if (closed) return;
          closed = true;
          await closeSession(open.session);
        },
      };
    },
  };
}
