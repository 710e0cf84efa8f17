// The voice-activity demo handler: POST a WAV clip, get `{ duration, segments: [{ start, end }] }`
// in seconds. Runs in workerd; Silero VAD runs on the edge's CPU worker threads through env.AI,
// one call per 32 ms window with its recurrent state carried from call to call.
import type { Env } from '../../wit/types.ts';
import { BadAudioError, decodeWav, detectSpeech } from './vad-pipeline.ts';
import { HandlerError, MAX_BODY_BYTES, errorResponse, json } from './respond.ts';

const USAGE = 'POST a WAV clip as the body, e.g. `curl --data-binary @demo/samples/speech.wav <this URL>`';

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      if (request.method !== 'POST') throw new HandlerError('invalid-argument', `${request.method} is not supported here: ${USAGE}`);
      const body = new Uint8Array(await request.arrayBuffer());
      if (body.length > MAX_BODY_BYTES) throw new HandlerError('too-large', `the body is ${body.length} bytes; at most ${MAX_BODY_BYTES} are accepted: send a shorter clip`);
      let audio;
      try {
        audio = decodeWav(body);
      } catch (err) {
        if (err instanceof BadAudioError) throw new HandlerError('invalid-encoding', err.message);
        throw err;
      }
      return json(await detectSpeech(audio, (model, inputs) => env.AI.run(model, inputs)));
    } catch (err) {
      return errorResponse(err, request);
    }
  },
};
