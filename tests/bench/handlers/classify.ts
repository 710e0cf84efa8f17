// The edge handler the HTTP benchmark deploys: the same work as the monolith baseline, through
// `env.AI.run` from inside workerd. Web APIs only.
import type { Env } from '../../../wit/types.ts';
import { classifyResponse, readTensor } from './classify-io.ts';

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== 'POST') return new Response('POST raw float32 bytes of x: float32[1,3,48,192]\n', { status: 405 });
    const x = readTensor(new Uint8Array(await request.arrayBuffer()));
    const out = await env.AI.run('ocr-cls', { x });
    return Response.json(classifyResponse(out));
  },
};
