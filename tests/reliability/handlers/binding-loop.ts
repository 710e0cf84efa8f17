// Handler for the workerd memory checks: `?v=const` answers at once (no env.AI), `?v=tiny` sends a
// float32[1,4] to model `tiny`, `?v=big` a 100 KiB float32[1,25600] to model `wide`; `&n=N` makes N calls in one request.
import type { Env, NamedTensors } from '../../../wit/types.ts';

function input(v: string): NamedTensors {
  const width = v === 'big' ? 25_600 : 4;
  return { x: { type: 'FP32', dims: [1, width], data: new Float32Array(width).fill(0.5) } };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const q = new URL(request.url).searchParams;
    const v = q.get('v') ?? 'const';
    if (v === 'const') return new Response('ok');
    const n = Math.min(Number(q.get('n') ?? '1') || 1, 100_000);
    const model = v === 'big' ? 'wide' : 'tiny';
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const out = await env.AI.run(model, input(v));
      sum += Number(Object.values(out)[0]!.data[0]);
    }
    return Response.json({ n, sum });
  },
};
