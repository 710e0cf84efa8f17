// The handler the workerd-hop benchmark runs both inside workerd and as a plain function in this
// process: `/` answers at once (dispatch cost); `/?model=NAME` makes that model's input and calls
// env.AI.run (binding round trip). Web APIs only.
import type { Env, NamedTensors } from '../../../wit/types.ts';

function input(model: string): NamedTensors {
  if (model.startsWith('ocr-rec')) return { x: { type: 'FP32', dims: [1, 3, 48, 320], data: new Float32Array(3 * 48 * 320).fill(0.25) } };
  if (model.startsWith('ocr-cls')) return { x: { type: 'FP32', dims: [1, 3, 48, 192], data: new Float32Array(3 * 48 * 192).fill(0.25) } };
  return { x: { type: 'FP32', dims: [1, 4], data: new Float32Array([1, 2, 3, 4]) } };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const model = new URL(request.url).searchParams.get('model');
    if (!model) return new Response('ok');
    const out = await env.AI.run(model, input(model));
    const first = Object.values(out)[0]!;
    // The first output value tells versions apart (the add model: x[0] + bias).
    return Response.json({ dims: first.dims, first: Number(first.data[0]) });
  },
};
