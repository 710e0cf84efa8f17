import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceRouter } from '../contracts.ts';
import type { NamedTensors } from '../../wit/types.ts';
import { createHostApi, type HostListener } from './server.ts';
import { decodeFrame, encodeFrame, FRAME_CONTENT_TYPE, KEY_HEADER } from './frame.ts';

// A router that doubles its input: enough to see which ref the host resolved and what it passed.
const seen: { ref: string; deadline?: number; requestId?: string; outputs?: string[] }[] = [];
const router: InferenceRouter = {
  async run(ref, inputs, opts) {
    seen.push({ ref, ...(opts.deadline ? { deadline: opts.deadline } : {}), ...(opts.requestId ? { requestId: opts.requestId } : {}), ...(opts.outputs ? { outputs: opts.outputs } : {}) });
    const x = inputs.x!.data as Float32Array;
    return { y: { type: 'FP32', dims: inputs.x!.dims, data: x.map((v) => v * 2) } };
  },
  describe(ref) {
    return { name: ref, signature: { inputs: [], outputs: [] } } as never;
  },
};

let dir: string;
let a: HostListener;
let b: HostListener;

function post(socketPath: string, path: string, body: Uint8Array, headers: Record<string, string>): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const X: NamedTensors = { x: { type: 'FP32', dims: [2], data: new Float32Array([1, 2]) } };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edgenn-host-'));
  const api = createHostApi({ router, maxBodyBytes: 4096 });
  a = await api.listen(join(dir, 'a.sock'), { deployment: 'a', version: 1, models: ['ocr@stable'], requestTimeoutMs: 1000, key: 'key-a' });
  b = await api.listen(join(dir, 'b.sock'), { deployment: 'b', version: 1, models: ['other'], requestTimeoutMs: 1000, key: 'key-b' });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('host API', () => {
  it('resolves a bare name through the socket\'s own allow-list and answers a binary frame', async () => {
    const res = await post(a.socketPath, '/run', encodeFrame({ model: 'ocr' }, X), { [KEY_HEADER]: 'key-a', 'x-request-id': 'r-1', 'x-edgenn-deadline': String(Date.now() + 60_000) });
    expect(res.status).toBe(200);
    expect(res.type).toBe(FRAME_CONTENT_TYPE);
    expect(Array.from(decodeFrame(new Uint8Array(res.body)).tensors.y!.data as Float32Array)).toEqual([2, 4]);
    const call = seen.at(-1)!;
    expect(call).toMatchObject({ ref: 'ocr@stable', requestId: 'r-1' });
    // The deadline is clamped to the deployment's request timeout.
    expect(call.deadline! - Date.now()).toBeLessThanOrEqual(1000);
  });

  it('carries the frame\'s outputs option to the router, and refuses a malformed one as invalid-argument', async () => {
    const ok = await post(a.socketPath, '/run', encodeFrame({ model: 'ocr', outputs: ['y'] }, X), { [KEY_HEADER]: 'key-a' });
    expect(ok.status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ ref: 'ocr@stable', outputs: ['y'] });
    const calls = seen.length;
    for (const outputs of ['y', [], [7], ['y', 'y']]) {
      const res = await post(a.socketPath, '/run', encodeFrame({ model: 'ocr', outputs }, X), { [KEY_HEADER]: 'key-a' });
      expect(res.status, JSON.stringify(outputs)).toBe(400);
      expect(JSON.parse(res.body.toString()).error.code).toBe('invalid-argument');
    }
    expect(seen.length).toBe(calls); // refused before the router
  });

  it('a socket speaks for one deployment: another deployment\'s model is `security`', async () => {
    const res = await post(b.socketPath, '/run', encodeFrame({ model: 'ocr@stable' }, X), { [KEY_HEADER]: 'key-b' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body.toString())).toMatchObject({ error: { code: 'security', retryable: false } });
  });

  it('refuses a caller without the process key', async () => {
    const res = await post(a.socketPath, '/run', encodeFrame({ model: 'ocr' }, X), { [KEY_HEADER]: 'key-b' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body.toString()).error.code).toBe('security');
  });

  it('refuses oversized and garbled bodies with their codes', async () => {
    const big = await post(a.socketPath, '/run', new Uint8Array(8192), { [KEY_HEADER]: 'key-a' });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body.toString()).error.code).toBe('too-large');
    const garbled = await post(a.socketPath, '/run', new Uint8Array([200, 0, 0, 0, 1, 2]), { [KEY_HEADER]: 'key-a' });
    expect(garbled.status).toBe(400);
    expect(JSON.parse(garbled.body.toString()).error.code).toBe('invalid-encoding');
  });

  it('bounds the bytes one deployment has in flight: beyond, calls are `busy` and retryable', async () => {
    const api = createHostApi({ router: { ...router, run: () => new Promise(() => {}) }, maxBodyBytes: 4096, maxInflightBytes: 3000 });
    const c = await api.listen(join(dir, 'c.sock'), { deployment: 'c', version: 1, models: ['m'], requestTimeoutMs: 1000, key: 'key-c' });
    const frame = encodeFrame({ model: 'm' }, { x: { type: 'FP32', dims: [400], data: new Float32Array(400) } });
    // The first call never returns (its router hangs), holding its bytes; the second goes over.
    void post(c.socketPath, '/run', frame, { [KEY_HEADER]: 'key-c' }).catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    const second = await post(c.socketPath, '/run', frame, { [KEY_HEADER]: 'key-c' });
    expect(second.status).toBe(503);
    expect(JSON.parse(second.body.toString()).error).toMatchObject({ code: 'busy', retryable: true });
    await c.close();
  });

  it('describe resolves the ref', async () => {
    const res = await post(a.socketPath, '/describe', new TextEncoder().encode(JSON.stringify({ model: 'ocr' })), { [KEY_HEADER]: 'key-a' });
    expect(JSON.parse(res.body.toString())).toEqual({ ref: 'ocr@stable', signature: { inputs: [], outputs: [] } });
  });
});
