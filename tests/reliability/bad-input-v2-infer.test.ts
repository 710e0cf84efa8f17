// The model-host's bad-input corpus for v2 infer: wrong tensors, lying binary framing, oversized
// bodies and hostile JSON, over real HTTP to the real app and engine. Each is answered 4xx with a
// code and a message that says what to fix; the models stay ready and still answer correctly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addModel, scaleModel } from '../fixtures/onnx-models.ts';
import { listen, type Listening } from '../../model-host/server.ts';
import { rawRequest, startInProcessHost, type InProcessHost } from './harness.ts';

const MAX_BODY = 64 * 1024;
let host: InProcessHost;
let server: Listening;
beforeAll(async () => {
  host = await startInProcessHost(
    [
      { name: 'add', version: '1.0.0', model: addModel() },
      { name: 'scale', version: '1.0.0', model: scaleModel() },
    ],
    { maxBodyBytes: MAX_BODY },
  );
  server = await listen(host.app, { port: 0 });
});
afterAll(async () => {
  await server?.close();
  await host?.close();
});

interface Case {
  label: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
  model?: string;
  status: number;
  code: string;
  hint: RegExp;
}

const tensor = (over: Record<string, unknown> = {}) => ({ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4], ...over });
const req = (...inputs: unknown[]) => JSON.stringify({ inputs });
/** A binary request: JSON header + raw bytes, with the header length the caller chooses to claim. */
function binary(header: unknown, bytes: number, claim?: (real: number) => string): { body: Uint8Array; headers: Record<string, string> } {
  const h = Buffer.from(JSON.stringify(header));
  return {
    body: Buffer.concat([h, Buffer.alloc(bytes, 1)]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': claim ? claim(h.length) : String(h.length) },
  };
}
const bin = (size: number, shape = [1, 4]) => ({ inputs: [{ name: 'x', shape, datatype: 'FP32', parameters: { binary_data_size: size } }] });
const deep = (levels: number) => `${'['.repeat(levels)}1,2,3,4${']'.repeat(levels)}`;
const EXPECTED = /expected FP32\[batch,4\]/;

const tensors: Case[] = [
  { label: 'a wrong element type', body: req(tensor({ datatype: 'INT32' })), status: 400, code: 'invalid-argument', hint: /element type differs/ },
  { label: 'an unknown datatype', body: req(tensor({ datatype: 'FLOAT' })), status: 400, code: 'invalid-argument', hint: /use one of .*FP32/ },
  { label: 'a datatype edgenn does not carry', body: req(tensor({ datatype: 'BYTES' })), status: 422, code: 'unsupported-operation', hint: /use one of/ },
  { label: 'a wrong rank', body: req(tensor({ shape: [4], data: [1, 2, 3, 4] })), status: 400, code: 'invalid-argument', hint: /rank 1 instead of 2/ },
  { label: 'a wrong fixed dimension', body: req(tensor({ shape: [1, 3], data: [1, 2, 3] })), status: 400, code: 'invalid-argument', hint: /dimension 1 must be 4/ },
  { label: 'fewer values than dims need', body: req(tensor({ data: [1, 2, 3] })), status: 400, code: 'invalid-argument', hint: /3 values .* needs 4/ },
  { label: 'more values than dims need', body: req(tensor({ data: [1, 2, 3, 4, 5] })), status: 400, code: 'invalid-argument', hint: /5 values .* needs 4/ },
  { label: 'a negative dimension', body: req(tensor({ shape: [-1, 4] })), status: 400, code: 'invalid-argument', hint: /whole numbers ≥ 0/ },
  { label: 'a fractional dimension', body: req(tensor({ shape: [1.5, 4] })), status: 400, code: 'invalid-argument', hint: /whole numbers ≥ 0/ },
  { label: 'a shape of 2^60 elements', body: req(tensor({ shape: [2 ** 30, 2 ** 30] })), status: 413, code: 'too-large', hint: /more than the \d+ elements/ },
  { label: 'a string in FP32 data', body: req(tensor({ data: [1, 2, 'three', 4] })), status: 400, code: 'invalid-argument', hint: /"three" .* not a FP32 value/ },
  { label: 'a missing input', body: req(), status: 400, code: 'invalid-argument', hint: /input is missing/ },
  { label: 'an input the model does not have', body: req(tensor(), tensor({ name: 'z' })), status: 400, code: 'invalid-argument', hint: /'z' is not an input.*its inputs are 'x'/ },
  { label: 'the same input twice', body: req(tensor(), tensor()), status: 400, code: 'invalid-argument', hint: /appears twice/ },
  { label: 'a scalar sent with rank 1', model: 'scale', body: req(tensor({ shape: [1, 3], data: [1, 2, 3] }), { name: 'k', shape: [1], datatype: 'INT64', data: [2] }), status: 400, code: 'invalid-argument', hint: /a scalar has dims \[\]/ },
  { label: 'an integer beyond INT32 in INT32 data', body: req(tensor({ datatype: 'INT32', data: [1, 2, 3, 2 ** 32 + 1] })), status: 400, code: 'invalid-argument', hint: /4294967297 .* not a INT32 value/ },
  { label: 'an INT64 string beyond int64', model: 'scale', body: req(tensor({ shape: [1, 3], data: [1, 2, 3] }), { name: 'k', shape: [], datatype: 'INT64', data: ['9999999999999999999'] }), status: 400, code: 'invalid-argument', hint: /not a INT64 value/ },
  { label: 'an unknown model', model: 'nope', body: req(tensor()), status: 404, code: 'not-found', hint: /load it first/ },
  { label: "a model name '..%2F..%2Fx'", model: '..%2F..%2Fx', body: req(tensor()), status: 400, code: 'invalid-argument', hint: /not a model reference/ },
];

const framing: Case[] = [
  { label: 'a header length longer than the body', ...binary(bin(16), 16, (n) => String(n + 1000)), status: 400, code: 'invalid-argument', hint: /send the header's real length/ },
  { label: 'a header length shorter than the JSON', ...binary(bin(16), 16, (n) => String(n - 5)), status: 400, code: 'invalid-encoding', hint: /not valid JSON.*Inference-Header-Content-Length/ },
  { label: 'a header length 4 bytes too long', ...binary(bin(16), 16, (n) => String(n + 4)), status: 400, code: 'invalid-encoding', hint: /not valid JSON/ },
  { label: 'a negative header length', ...binary(bin(16), 16, () => '-1'), status: 400, code: 'invalid-argument', hint: /must be a byte count/ },
  { label: 'a header length that is not a number', ...binary(bin(16), 16, () => '0x10'), status: 400, code: 'invalid-argument', hint: /must be a byte count/ },
  { label: 'binary_data_size larger than dims need', ...binary(bin(32), 32), status: 400, code: 'invalid-argument', hint: /binary_data_size 32 .* needs 16 bytes/ },
  { label: 'binary_data_size smaller than dims need', ...binary(bin(8), 8), status: 400, code: 'invalid-argument', hint: /binary_data_size 8 .* needs 16 bytes/ },
  { label: 'binary_data_size beyond the body', ...binary(bin(32, [2, 4]), 16), status: 400, code: 'invalid-argument', hint: /add up to more/ },
  { label: 'bytes left after the tensors', ...binary(bin(16), 48), status: 400, code: 'invalid-argument', hint: /bytes after the tensors' binary data/ },
  { label: 'a negative binary_data_size', ...binary(bin(-16), 16), status: 400, code: 'invalid-argument', hint: /must be a byte count/ },
  { label: 'binary_data_size and data both', ...binary({ inputs: [{ ...tensor(), parameters: { binary_data_size: 16 } }] }, 16), status: 400, code: 'invalid-argument', hint: /send one/ },
  { label: 'a body over the limit (declared)', body: new Uint8Array(MAX_BODY + 1), status: 413, code: 'too-large', hint: /send smaller batches/ },
];

const json: Case[] = [
  { label: 'invalid JSON', body: '{"inputs":[', status: 400, code: 'invalid-encoding', hint: /not valid JSON/ },
  { label: 'an empty body', body: '', status: 400, code: 'invalid-encoding', hint: /not valid JSON/ },
  { label: 'data nested 10 000 levels', body: `{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":${deep(10_000)}}]}`, status: 400, code: 'invalid-argument', hint: /nested more than 64 levels/ },
  { label: 'an object nested 10 000 levels', body: `{"inputs":[],"parameters":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`, status: 400, code: 'invalid-argument', hint: /input is missing/ },
  { label: 'a huge number (1e400) in FP32 data', body: req(tensor()).replace('[1,2,3,4]', '[1e400,2,3,4]'), status: 400, code: 'invalid-argument', hint: /Infinity .* not a FP32 value/ },
  { label: 'a huge number (1e400) as a dimension', body: req(tensor()).replace('[1,4]', '[1e400,4]'), status: 400, code: 'invalid-argument', hint: /whole numbers ≥ 0/ },
  { label: 'a top-level array', body: '[]', status: 400, code: 'invalid-argument', hint: /JSON object with "inputs"/ },
  { label: 'a top-level number', body: '42', status: 400, code: 'invalid-argument', hint: /JSON object with "inputs"/ },
  { label: 'top-level null', body: 'null', status: 400, code: 'invalid-argument', hint: /JSON object with "inputs"/ },
  { label: '"inputs" that is not an array', body: '{"inputs":{"x":1}}', status: 400, code: 'invalid-argument', hint: /"inputs", an array of tensors/ },
  { label: 'a __proto__ input name', body: req(tensor({ name: '__proto__' })), status: 400, code: 'invalid-argument', hint: /'__proto__' is not an input|input is missing/ },
  { label: '"outputs" naming nothing', body: JSON.stringify({ inputs: [tensor()], outputs: [{}] }), status: 400, code: 'invalid-argument', hint: /output 0 needs a "name"/ },
];

async function infer(model: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  return rawRequest(server.address, 'POST', `/v2/models/${model}/infer`, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers }, body);
}

describe.each([
  ['tensors', tensors],
  ['binary framing and size', framing],
  ['JSON', json],
] as const)('bad %s', (_group, cases) => {
  it.each(cases.map((c) => [c.label, c] as const))('refuses %s with a 4xx and the models stay ready', async (_label, c) => {
    const before = host.manager.status();
    const res = await infer(c.model ?? 'add', c.body, c.headers);
    const body = JSON.parse(res.body) as { error: string; code: string; retryable: boolean };
    expect(res.status, res.body).toBe(c.status);
    expect(body.code).toBe(c.code);
    expect(body.retryable).toBe(false);
    expect(body.error).toMatch(c.hint);
    if (!EXPECTED.test(body.error)) expect(body.error.length).toBeGreaterThan(20);
    expect(host.manager.status()).toEqual(before);
  });
});

it('refuses a chunked body that grows past the limit without a Content-Length', async () => {
  const { request } = await import('node:http');
  const { port } = new URL(server.address);
  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port: Number(port), method: 'POST', path: '/v2/models/add/infer', headers: { 'transfer-encoding': 'chunked' } }, (s) => {
      let text = '';
      s.on('data', (d) => (text += d));
      s.on('end', () => resolve({ status: s.statusCode!, body: text }));
    });
    r.on('error', reject);
    for (let i = 0; i < 8; i++) r.write(Buffer.alloc(16 * 1024, 32));
    r.end();
  });
  expect(res.status).toBe(413);
  expect(JSON.parse(res.body).code).toBe('too-large');
});

it('answers good requests correctly after the whole corpus', async () => {
  const res = await infer('add', req(tensor()));
  expect(res.status).toBe(200);
  expect(JSON.parse(res.body).outputs[0].data).toEqual([2, 3, 4, 5]);
  const b = binary(bin(16), 0);
  const body = Buffer.concat([b.body, Buffer.from(new Float32Array([1, 1, 1, 1]).buffer)]);
  const ok = await infer('add', body, b.headers);
  expect(ok.status, ok.body).toBe(200);
  expect(JSON.parse(ok.body).outputs[0].data).toEqual([2, 2, 2, 2]);
});
