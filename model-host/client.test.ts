// The v2 client against real servers on Unix sockets that misbehave on purpose: refused, reset,
// silent, and answering protocol errors from us or from a Triton-like server.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createV2Client } from './client.ts';
import { encodeInferResponse } from './v2/codec.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgenn-client-'));
const servers: http.Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  rmSync(dir, { recursive: true, force: true });
});

async function serve(name: string, handler: http.RequestListener): Promise<string> {
  const socketPath = join(dir, name);
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(socketPath, r));
  return socketPath;
}

const input = { x: { type: 'FP32' as const, dims: [1, 2], data: Float32Array.from([1, 2]) } };

describe('v2 client', () => {
  it('fails fast with unavailable when nothing listens', async () => {
    const client = createV2Client({ socketPath: join(dir, 'nobody-here.sock') });
    await expect(client.infer('m', '', input)).rejects.toMatchObject({ code: 'unavailable', retryable: true, retryAfter: 1 });
    expect(await client.ready()).toBe(false);
    await client.close();
  });

  it('turns a connection reset mid-request into unavailable', async () => {
    const socketPath = await serve('reset.sock', (req) => req.socket.destroy());
    const client = createV2Client({ socketPath });
    await expect(client.infer('m', '', input)).rejects.toMatchObject({ code: 'unavailable' });
    await client.close();
  });

  it('never hangs: a silent server gives timeout at the deadline', async () => {
    const socketPath = await serve('silent.sock', () => {});
    const client = createV2Client({ socketPath, timeoutMs: 60_000 });
    await expect(client.infer('m', '', input, { deadline: Date.now() + 200 })).rejects.toMatchObject({ code: 'timeout', retryable: true });
    await expect(client.infer('m', '', input, { deadline: Date.now() - 1 })).rejects.toMatchObject({ code: 'timeout' });
    await client.close();
  });

  it('maps our error bodies and Triton-style ones back to EdgennError with Retry-After', async () => {
    const socketPath = await serve('errors.sock', (req, res) => {
      if (req.url!.includes('busy')) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' });
        res.end(JSON.stringify({ error: 'queue full', code: 'busy', retryable: true }));
      } else {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'unexpected shape for input x' }));
      }
    });
    const client = createV2Client({ socketPath });
    await expect(client.infer('busy', '', input)).rejects.toMatchObject({ code: 'busy', message: 'queue full', retryAfter: 2 });
    await expect(client.infer('triton', '1', input)).rejects.toMatchObject({ code: 'invalid-argument', message: 'unexpected shape for input x' });
    await client.close();
  });

  it('sends binary tensors with the deadline header and reads binary outputs, reusing one connection', async () => {
    const seen: Array<{ url: string; deadline: string | undefined; header: string | undefined }> = [];
    const sockets = new Set<unknown>();
    const socketPath = await serve('ok.sock', (req, res) => {
      sockets.add(req.socket);
      seen.push({ url: req.url!, deadline: req.headers['x-edgenn-deadline-ms'] as string | undefined, header: req.headers['inference-header-content-length'] as string | undefined });
      req.resume();
      req.on('end', () => {
        const enc = encodeInferResponse({ y: { type: 'FP32', dims: [1, 2], data: Float32Array.from([3, 4]) } }, { modelName: 'm', binaryOutput: () => true });
        res.writeHead(200, enc.headers);
        res.end(enc.body);
      });
    });
    const client = createV2Client({ socketPath });
    for (let i = 0; i < 3; i++) {
      const out = await client.infer('m', '1.0.0', input, { deadline: Date.now() + 10_000 });
      expect(Array.from(out.y!.data as Float32Array)).toEqual([3, 4]);
    }
    expect(seen[0]!.url).toBe('/v2/models/m/versions/1.0.0/infer');
    expect(Number(seen[0]!.deadline)).toBeGreaterThan(0);
    expect(Number(seen[0]!.header)).toBeGreaterThan(0);
    expect(sockets.size).toBe(1);
    await client.close();
  });
});
