// A test handler on Hono: GET answers which deployment version serves (env.VERSION); POST runs the
// model named in the JSON body through env.AI and answers its outputs (or the binding's typed error).
import { Hono } from 'hono';
import type { Env, NamedTensors, Tensor, TensorType } from 'edgenn';

const ARRAYS = {
  FP32: Float32Array,
  FP64: Float64Array,
  I32: Int32Array,
  U8: Uint8Array,
  I8: Int8Array,
  I16: Int16Array,
  BOOL: Uint8Array,
} as const;

type JsonTensor = { type: TensorType; dims: number[]; data: number[] };

function toTensor(t: JsonTensor): Tensor {
  if (t.type === 'I64') return { type: 'I64', dims: t.dims, data: BigInt64Array.from(t.data.map((x) => BigInt(x))) };
  const Ctor = ARRAYS[t.type as keyof typeof ARRAYS];
  if (!Ctor) throw new Error(`test handler: unsupported type ${t.type}`);
  return { type: t.type, dims: t.dims, data: new Ctor(t.data) } as Tensor;
}

const app = new Hono<{ Bindings: Env }>();

app.get('*', (c) => c.json({ version: c.env.VERSION ?? null, path: new URL(c.req.url).pathname }));

app.post('*', async (c) => {
  const body = (await c.req.json()) as { model: string; inputs: Record<string, JsonTensor>; api?: 'run' | 'graph' };
  const inputs: NamedTensors = {};
  for (const [k, v] of Object.entries(body.inputs)) inputs[k] = toTensor(v);
  try {
    const outputs =
      body.api === 'graph' ? await (await c.env.AI.loadByName(body.model)).compute(inputs) : await c.env.AI.run(body.model, inputs);
    const json: Record<string, { type: string; dims: number[]; data: number[] }> = {};
    for (const [k, t] of Object.entries(outputs)) json[k] = { type: t.type, dims: t.dims, data: Array.from(t.data as ArrayLike<number>, Number) };
    return c.json({ version: c.env.VERSION ?? null, outputs: json });
  } catch (err) {
    const e = err as { code?: string; message?: string; retryable?: boolean };
    const status = e.code === 'security' ? 403 : e.code === 'invalid-argument' ? 400 : e.code === 'not-found' ? 404 : e.code === 'unavailable' ? 503 : 500;
    return c.json({ error: { code: e.code ?? 'unknown', message: e.message ?? String(err), retryable: e.retryable ?? false } }, status);
  }
});

export default app;
