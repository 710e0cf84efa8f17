// Checks request tensors against a model's signature before anything reaches a session, so a
// caller learns exactly which input is wrong and what was expected instead of ORT's raw text.
import { EdgennError } from '../../wit/errors.ts';
import { TENSOR_ARRAYS, type NamedTensors, type Tensor, type TensorArrayConstructor, type TensorType } from '../../wit/types.ts';
import { isDynamic, type Signature, type TensorSpec } from '../../registry/manifest.ts';

/** The typed array constructor that carries each element type (wit/types.ts TENSOR_ARRAYS). */
export const ARRAY_OF = TENSOR_ARRAYS as Record<TensorType, TensorArrayConstructor>;

/** `FP32[batch,4]`, the form every message uses for both sides. */
export function describeSpec(spec: Pick<TensorSpec, 'type' | 'shape'>): string {
  return `${spec.type}[${spec.shape.join(',')}]`;
}

function describeTensor(t: Tensor): string {
  const dims = Array.isArray(t.dims) ? t.dims.join(',') : String(t.dims);
  return `${String(t.type)}[${dims}]`;
}

function fail(name: string, expected: string, got: string, hint = ''): never {
  throw new EdgennError('invalid-argument', `input '${name}': expected ${expected}, got ${got}${hint ? ` (${hint})` : ''}`);
}

/** Product of dims; a tensor whose element count overflows a safe integer is refused by the caller. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

function checkOne(spec: TensorSpec, t: Tensor): void {
  const expected = describeSpec(spec);
  if (t === null || typeof t !== 'object') fail(spec.name, expected, String(t));
  if (!Array.isArray(t.dims) || !t.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(spec.name, expected, describeTensor(t), 'dims must be non-negative integers');
  }
  if (t.type !== spec.type) fail(spec.name, expected, describeTensor(t), 'element type differs');
  if (t.dims.length !== spec.shape.length) {
    fail(spec.name, expected, describeTensor(t), spec.shape.length === 0 ? 'a scalar has dims []' : `rank ${t.dims.length} instead of ${spec.shape.length}`);
  }
  spec.shape.forEach((d, i) => {
    if (!isDynamic(d) && t.dims[i] !== d) fail(spec.name, expected, describeTensor(t), `dimension ${i} must be ${d}`);
  });
  const Ctor = ARRAY_OF[spec.type];
  if (!(t.data instanceof Ctor)) {
    const got = (t.data as object | undefined)?.constructor?.name ?? typeof t.data;
    fail(spec.name, expected, describeTensor(t), `data must be a ${Ctor.name}, not ${got}`);
  }
  const count = elementCount(t.dims);
  if (!Number.isSafeInteger(count) || t.data.length !== count) {
    fail(spec.name, expected, describeTensor(t), `data has ${t.data.length} elements, dims need ${count}`);
  }
}

/** Throws EdgennError('invalid-argument') naming the first input that does not match the signature. */
export function validateInputs(signature: Signature, inputs: NamedTensors): void {
  if (inputs === null || typeof inputs !== 'object') {
    throw new EdgennError('invalid-argument', `inputs must be an object of named tensors: ${signature.inputs.map((s) => `${s.name}: ${describeSpec(s)}`).join(', ')}`);
  }
  const declared = new Set(signature.inputs.map((s) => s.name));
  for (const name of Object.keys(inputs)) {
    if (!declared.has(name)) {
      throw new EdgennError('invalid-argument', `input '${name}' is not an input of this model; its inputs are ${signature.inputs.map((s) => `'${s.name}' ${describeSpec(s)}`).join(', ')}`);
    }
  }
  for (const spec of signature.inputs) {
    const t = inputs[spec.name];
    if (t === undefined) fail(spec.name, describeSpec(spec), 'nothing', 'the input is missing');
    checkOne(spec, t);
  }
}

/**
 * Checks the outputs a caller asked for (InferOptions.outputs) against the signature: a list of
 * distinct names the model has. Throws EdgennError('invalid-argument') naming the model's outputs.
 */
export function validateOutputs(signature: Signature, outputs: readonly string[] | undefined): void {
  if (outputs === undefined) return;
  const names = signature.outputs.map((s) => `'${s.name}'`).join(', ');
  if (!Array.isArray(outputs) || outputs.length === 0) throw new EdgennError('invalid-argument', `outputs must list at least one of this model's outputs (${names}), or be left out for all of them`);
  const declared = new Set(signature.outputs.map((s) => s.name));
  const seen = new Set<string>();
  for (const name of outputs) {
    if (typeof name !== 'string' || !declared.has(name)) {
      throw new EdgennError('invalid-argument', `output '${String(name)}' is not an output of this model; its outputs are ${names}`);
    }
    if (seen.has(name)) throw new EdgennError('invalid-argument', `output '${name}' is asked for twice; name each output once`);
    seen.add(name);
  }
}
