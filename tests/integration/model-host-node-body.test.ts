// Served by @hono/node-server, the model-host reads request bodies from the Node request itself
// (c.env.incoming), not through the web stream around it, with the same size limit and errors.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { addModel } from '../fixtures/onnx-models.ts';
import { encodeInferRequest } from '../../model-host/v2/codec.ts';
import { startInProcessHost, type InProcessHost } from '../reliability/harness.ts';

const MAX_BODY = 4096;
let host: InProcessHost;
beforeAll(async () => {
  host = await startInProcessHost([{ name: 'add', version: '1.0.0', model: addModel({ width: 4, bias: 1 }) }], { maxBodyBytes: MAX_BODY });
});
afterAll(async () => {
  await host?.close();
});

/** A real Node request carrying `body`, as the node-server adapter hands it to the app. */
function incomingWith(body: Uint8Array): IncomingMessage {
  const msg = new IncomingMessage(new Socket());
  msg.push(Buffer.from(body));
  msg.push(null);
  return msg;
}

/** The web Request carries no body at all: only a read of env.incoming can see the tensors. */
function post(headers: Record<string, string>, incoming: IncomingMessage): Promise<Response> {
  return Promise.resolve(host.app.fetch(new Request('http://mh/v2/models/add/infer', { method: 'POST', headers }), { incoming }));
}

it('reads the infer body from the Node request', async () => {
  const enc = encodeInferRequest({ x: { type: 'FP32', dims: [1, 4], data: Float32Array.of(1, 2, 3, 4) } }, { binaryOutputs: false });
  const res = await post(enc.headers, incomingWith(enc.body));
  expect(res.status).toBe(200);
  expect(((await res.json()) as { outputs: unknown[] }).outputs[0]).toMatchObject({ name: 'y', shape: [1, 4], data: [2, 3, 4, 5] });
});

it('answers 413 too-large for a Node request body past the limit, in the v2 error shape', async () => {
  const res = await post({ 'content-type': 'application/octet-stream' }, incomingWith(new Uint8Array(MAX_BODY + 1)));
  expect(res.status).toBe(413);
  expect(await res.json()).toMatchObject({ code: 'too-large', retryable: false, error: expect.stringMatching(/send smaller batches/) });
});
