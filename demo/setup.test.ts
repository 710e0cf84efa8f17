import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instructions, waitReady } from './setup.ts';
import { DEMO_HANDLERS } from './models/catalog.ts';

let server: Server;
let url: string;
let answers: { status: number; message?: string }[] = [];
beforeAll(async () => {
  server = createServer((_req, res) => {
    const a = answers.shift() ?? { status: 200 };
    res.writeHead(a.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(a.status === 200 ? { status: 'ready' } : { error: { code: 'unavailable', message: a.message } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('demo setup', () => {
  it('waitReady prints why the platform is not ready each time the reason changes, then returns', async () => {
    answers = [
      { status: 503, message: 'not ready: model-host starting' },
      { status: 503, message: 'not ready: model-host starting' },
      { status: 503, message: 'not ready: background-removal warming' },
      { status: 200 },
    ];
    const lines: string[] = [];
    await waitReady(url, (l) => lines.push(l), { intervalMs: 1 });
    expect(lines).toEqual(['demo: waiting for ready: not ready: model-host starting', 'demo: waiting for ready: not ready: background-removal warming']);
  });

  it('waitReady gives up with a bounded wait, naming the last reason', async () => {
    answers = Array.from({ length: 1000 }, () => ({ status: 503, message: 'not ready: stuck' }));
    await expect(waitReady(url, () => {}, { intervalMs: 1, timeoutMs: 50 })).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('stuck') });
    answers = [];
  });

  it('prints the docs page and one curl line per handler, with paths that work from the working directory', () => {
    const text = instructions('http://127.0.0.1:8787', DEMO_HANDLERS);
    expect(text).toContain('http://127.0.0.1:8787/\n');
    expect(text).toContain('curl --data-binary @demo/samples/text.png http://127.0.0.1:8787/ocr');
    expect(text).toContain('curl --data-binary @demo/samples/photo.png -o cutout.png http://127.0.0.1:8787/background');
    expect(text).toContain('curl --data-binary @demo/samples/speech.wav http://127.0.0.1:8787/vad');
  });
});
