// The only module that imports onnxruntime-node. It opens sessions (CUDA first, CPU fallback),
// reads signatures, runs inference on named tensors and turns ORT's errors into error codes.
import * as ortModule from 'onnxruntime-node';
import { EdgennError } from '../../wit/errors.ts';
import type { NamedTensors, Tensor, TensorType } from '../../wit/types.ts';
import type { Dim, Signature, TensorSpec } from '../../registry/manifest.ts';

// Values come from module.exports (the default export): on Node 24 under the model-host sandbox's
// --disallow-code-generation-from-strings, Node cannot detect a CommonJS module's named exports,
// so the namespace lacks InferenceSession, Tensor and env. Types still come from the namespace.
const ort: typeof ortModule = (ortModule as unknown as { default?: typeof ortModule }).default ?? ortModule;

export type Provider = 'cuda' | 'cpu';

const ORT_TO_TENSOR: Record<string, TensorType> = {
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  bfloat16: 'BF16',
  uint8: 'U8',
  int8: 'I8',
  int16: 'I16',
  int32: 'I32',
  int64: 'I64',
  bool: 'BOOL',
};
const TENSOR_TO_ORT: Record<TensorType, ortModule.Tensor.Type> = {
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BF16: 'float16', // ORT's JS API has no bfloat16 tensors; models with BF16 inputs are refused at signature time
  U8: 'uint8',
  I8: 'int8',
  I16: 'int16',
  I32: 'int32',
  I64: 'int64',
  BOOL: 'bool',
};

export interface OpenOptions {
  /** Try the CUDA execution provider first (falls back to CPU with one log line). */
  preferCuda?: boolean;
  intraOpNumThreads?: number;
  log?: (line: string) => void;
}

export interface OpenSession {
  session: ortModule.InferenceSession;
  provider: Provider;
  signature: Signature;
}

// Every ORT error reaches us as an exception that keeps ORT's text; its own stderr logger would
// print the same failure again (e.g. a raw provider-bridge line for every missing CUDA library).
ort.env.logLevel = (process.env.EDGENN_ORT_LOG_LEVEL as typeof ort.env.logLevel | undefined) ?? 'fatal';

/** Set once CUDA failed: later sessions go straight to the CPU instead of failing again. */
let cudaUnavailable = false;

/** Opens a session on a file path or bytes. Throws EdgennError('invalid-encoding' | 'unsupported-operation' | …). */
export async function openSession(model: string | Uint8Array, opts: OpenOptions = {}): Promise<OpenSession> {
  const base: ortModule.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads, interOpNumThreads: 1 } : {}),
  };
  if (opts.preferCuda && !cudaUnavailable) {
    try {
      const session = await create(model, { ...base, executionProviders: [{ name: 'cuda', deviceId: 0 }] });
      return { session, provider: 'cuda', signature: readSignature(session) };
    } catch (err) {
      // Session creation throws when libonnxruntime_providers_cuda.so (or CUDA itself) is absent.
      // Missing libraries or driver: remember it. Anything else (e.g. GPU memory) is this model's alone.
      if (/shared lib|shared object|providers_cuda|driver|CUDA-capable|cudart|cublas|cudnn/i.test(String(err))) cudaUnavailable = true;
      (opts.log ?? console.warn)(`onnx: cuda execution provider unavailable, using cpu (${firstLine(err)})`);
    }
  }
  const session = await create(model, { ...base, executionProviders: ['cpu'] });
  return { session, provider: 'cpu', signature: readSignature(session) };
}

async function create(model: string | Uint8Array, options: ortModule.InferenceSession.SessionOptions): Promise<ortModule.InferenceSession> {
  try {
    return typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  } catch (err) {
    throw mapOrtError(err, 'load');
  }
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0]!.slice(0, 300);
}

/** ORT error text → WIT error code, keeping ORT's own words in the message. */
export function mapOrtError(err: unknown, phase: 'load' | 'run'): EdgennError {
  if (err instanceof EdgennError) return err;
  const text = firstLine(err);
  if (phase === 'load') {
    if (/No Op registered|not implemented|Unsupported|opset/i.test(text)) return new EdgennError('unsupported-operation', `the model uses something ONNX Runtime cannot run: ${text}`, { cause: err });
    return new EdgennError('invalid-encoding', `not a loadable ONNX model: ${text}`, { cause: err });
  }
  if (/invalid dimensions|Unexpected input data type|input.*not|Invalid rank|Invalid Feed|Missing Input/i.test(text)) return new EdgennError('invalid-argument', text, { cause: err });
  if (/bad_alloc|Failed to allocate|out of memory/i.test(text)) return new EdgennError('too-large', `the computation needs more memory than is available: ${text}`, { cause: err });
  return new EdgennError('runtime-error', text, { cause: err });
}

function toDim(d: unknown): Dim {
  if (typeof d === 'number' && d >= 0) return d;
  if (typeof d === 'string' && d.length > 0) return d;
  return '?';
}

function toSpec(meta: ortModule.InferenceSession.ValueMetadata): TensorSpec {
  if (!meta.isTensor) throw new EdgennError('unsupported-operation', `input or output '${meta.name}' is not a tensor (sequences and maps are not supported)`);
  const type = ORT_TO_TENSOR[meta.type];
  if (!type) throw new EdgennError('unsupported-operation', `'${meta.name}' has element type ${meta.type}, which edgenn does not support`);
  return { name: meta.name, type, shape: meta.shape.map(toDim) };
}

export function readSignature(session: ortModule.InferenceSession): Signature {
  return { inputs: session.inputMetadata.map(toSpec), outputs: session.outputMetadata.map(toSpec) };
}

function toOrt(name: string, t: Tensor): ortModule.Tensor {
  const type = TENSOR_TO_ORT[t.type];
  if (!type) throw new EdgennError('invalid-argument', `input '${name}' has unknown element type ${String(t.type)}`);
  if (t.type === 'BOOL') return new ort.Tensor('bool', t.data as Uint8Array, t.dims);
  return new ort.Tensor(type as 'float32', t.data as Float32Array, t.dims);
}

function fromOrt(t: ortModule.Tensor): Tensor {
  const type = ORT_TO_TENSOR[t.type];
  if (!type) throw new EdgennError('unsupported-operation', `output element type ${t.type} is not supported`);
  const data = t.type === 'bool' ? new Uint8Array((t.data as Uint8Array).buffer, (t.data as Uint8Array).byteOffset, (t.data as Uint8Array).length) : t.data;
  return { type, dims: [...t.dims], data } as Tensor;
}

/** Runs one inference. `outputs` limits what is fetched (IS-Net: ask for `output` only). */
export async function runSession(session: ortModule.InferenceSession, inputs: NamedTensors, outputs?: string[]): Promise<NamedTensors> {
  const feeds: Record<string, ortModule.Tensor> = {};
  for (const [name, t] of Object.entries(inputs)) feeds[name] = toOrt(name, t);
  let result: ortModule.InferenceSession.OnnxValueMapType;
  try {
    result = outputs ? await session.run(feeds, outputs) : await session.run(feeds);
  } catch (err) {
    throw mapOrtError(err, 'run');
  } finally {
    for (const f of Object.values(feeds)) f.dispose?.();
  }
  const out: NamedTensors = {};
  for (const [name, value] of Object.entries(result)) out[name] = fromOrt(value as ortModule.Tensor);
  return out;
}

export async function closeSession(session: ortModule.InferenceSession): Promise<void> {
  await session.release();
}

export function ortVersion(): string {
  return ort.env.versions?.common ?? 'unknown';
}
