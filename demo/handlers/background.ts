// The background-removal demo handler: POST a PNG, get the same picture back as a PNG whose alpha
// is IS-Net's mask. Runs in workerd; the large model runs in the model-host through env.AI.
import type { Env } from '../../wit/types.ts';
import { encodeRgba } from './image.ts';
import { backgroundAlpha } from './background-pipeline.ts';
import { errorResponse, readPng } from './respond.ts';

const USAGE = 'POST a PNG picture as the body and save the answer, e.g. `curl --data-binary @demo/samples/photo.png -o cutout.png <this URL>`';

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      const img = await readPng(request, USAGE);
      // The pipeline asks for IS-Net's `output` only: the side outputs never reach this isolate.
      const alpha = await backgroundAlpha(img, (model, inputs, options) => env.AI.run(model, inputs, options));
      return new Response(encodeRgba(img, alpha), { headers: { 'content-type': 'image/png' } });
    } catch (err) {
      return errorResponse(err, request);
    }
  },
};
