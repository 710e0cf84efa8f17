// The inference host API as handlers see it: a one-to-one mirror of wit/*.wit (kebab-case →
// camelCase, enum cases as the same string literals). wit/types.test.ts fails when they drift.

/** `errors.error-code` */
export type ErrorCode =
  | 'invalid-argument'
  | 'invalid-encoding'
  | 'timeout'
  | 'runtime-error'
  | 'unsupported-operation'
  | 'too-large'
  | 'not-found'
  | 'security'
  | 'unknown'
  | 'busy'
  | 'unavailable';

export const ERROR_CODES: readonly ErrorCode[] = [
  'invalid-argument',
  'invalid-encoding',
  'timeout',
  'runtime-error',
  'unsupported-operation',
  'too-large',
  'not-found',
  'security',
  'unknown',
  'busy',
  'unavailable',
];

/** `tensor.tensor-type` */
export type TensorType = 'FP16' | 'FP32' | 'FP64' | 'BF16' | 'U8' | 'I8' | 'I16' | 'I32' | 'I64' | 'BOOL';

export const TENSOR_TYPES: readonly TensorType[] = ['FP16', 'FP32', 'FP64', 'BF16', 'U8', 'I8', 'I16', 'I32', 'I64', 'BOOL'];

/** The typed array that carries each element type's data. FP16 and BF16 travel as raw 16-bit words. */
export interface TensorDataOf {
  FP16: Uint16Array;
  FP32: Float32Array;
  FP64: Float64Array;
  BF16: Uint16Array;
  U8: Uint8Array;
  I8: Int8Array;
  I16: Int16Array;
  I32: Int32Array;
  I64: BigInt64Array;
  BOOL: Uint8Array;
}

export type TensorData = TensorDataOf[TensorType];

/** A typed-array constructor, by length or over an existing buffer. */
export interface TensorArrayConstructor<A extends TensorData = TensorData> {
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
  new (length: number): A;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): A;
}

/** Each element type's typed array: the one table every layer (binding, host API, v2 codec, engine) uses. */
export const TENSOR_ARRAYS: { readonly [T in TensorType]: TensorArrayConstructor<TensorDataOf[T]> } = {
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
  BF16: Uint16Array,
  U8: Uint8Array,
  I8: Int8Array,
  I16: Int16Array,
  I32: Int32Array,
  I64: BigInt64Array,
  BOOL: Uint8Array,
};

/** Bytes per element of a tensor type. */
export function elementBytes(type: TensorType): number {
  return TENSOR_ARRAYS[type].BYTES_PER_ELEMENT;
}

/** `tensor.tensor`: `dimensions` (empty for a scalar), `ty` and `data`. */
export interface Tensor<T extends TensorType = TensorType> {
  type: T;
  dims: number[];
  data: TensorDataOf[T];
}

/** `inference.named-tensor`, as a record keyed by the model's input or output name. */
export type NamedTensors = Record<string, Tensor>;

/** `errors.error`: thrown by every binding call. `retryable` is true exactly for busy, unavailable and timeout. */
export interface InferenceError extends Error {
  code: ErrorCode;
  retryable: boolean;
  /** `errors.error.data`: the message. */
  data: string;
}

/**
 * Options of `run` and `compute`. An edgenn extension BEYOND the WIT: wasi-nn's `compute` takes
 * only the inputs, so nothing in wit/*.wit mirrors this (the drift test does not look for it).
 * Other hosts of the WIT may ignore it and return every output.
 */
export interface RunOptions {
  /**
   * The output names to compute and send back; every output when absent. A model such as IS-Net
   * has many large side outputs: asking only for the one you use saves its memory and transfer.
   * A name the model does not have is `invalid-argument`.
   */
  outputs?: string[];
}

/** `inference.graph-execution-context` */
export interface GraphExecutionContext {
  compute(inputs: NamedTensors, options?: RunOptions): Promise<NamedTensors>;
}

/** `graph.graph`: a ready model. `compute` is shorthand for `initExecutionContext().compute`. */
export interface Graph {
  readonly name: string;
  initExecutionContext(): GraphExecutionContext;
  compute(inputs: NamedTensors, options?: RunOptions): Promise<NamedTensors>;
}

/** The `env.AI` binding: the `graph` interface's `load-by-name`, and `run` for the common case. */
export interface Ai {
  loadByName(name: string): Promise<Graph>;
  run(model: string, inputs: NamedTensors, options?: RunOptions): Promise<NamedTensors>;
}

/** What a handler's `fetch(request, env, ctx)` receives as `env`: the binding plus the manifest's plain variables. */
export interface Env {
  AI: Ai;
  [variable: string]: unknown;
}

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

/** A handler module's default export. */
export interface Handler<E extends Env = Env> {
  fetch(request: Request, env: E, ctx: ExecutionContext): Response | Promise<Response>;
}
