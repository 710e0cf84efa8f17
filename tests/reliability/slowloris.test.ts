// Slow clients against the registry server and the model-host's TCP listener: many connections
// that send headers one byte at a time, or a body that never finishes, do not exhaust the server —
// normal requests keep succeeding meanwhile — and the header/body timeouts close every slow one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { addModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, type TestRegistry } from '../integration/registry-harness.ts';
import { startRegistryServer, type RunningServer } from '../../registry/server.ts';
import { listen, type Listening } from '../../model-host/server.ts';
import { rawRequest, sleep, startInProcessHost, type InProcessHost } from './harness.ts';
import { TOKEN, startServe, tempDataDir, type Serve } from '../e2e/serve-harness.ts';

const HEADERS_TIMEOUT_MS = 1_500;
const REQUEST_TIMEOUT_MS = 3_000;
const SLOW_CONNECTIONS = 60; // half trickle headers, half trickle a body
const TRICKLE_MS = 250;
/** Upper bound for the whole attack; a connection still open by then counts as not closed. */
const ATTACK_LIMIT_MS = 20_000;

interface SlowOutcome {
  closedByServer: number;
  answered408: number;
  stillOpen: number;
  lastClosedMs: number;
  normalOk: number;
  normalFailed: string[];
}

/** Opens the slow connections, keeps trickling, and sends normal requests until every slow one is closed. */
async function attack(port: number, slowHeaders: string, slowBody: { head: string; length: number }, normal: () => Promise<boolean>, limitMs = ATTACK_LIMIT_MS): Promise<SlowOutcome> {
  const started = Date.now();
  const sockets: Array<{ s: Socket; closed: boolean; got: string; closedAt: number }> = [];
  for (let i = 0; i < SLOW_CONNECTIONS; i++) {
    const s = connect(port, '127.0.0.1');
    const entry = { s, closed: false, got: '', closedAt: 0 };
    s.on('data', (d) => (entry.got += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => ((entry.closed = true), (entry.closedAt = Date.now() - started)));
    sockets.push(entry);
  }
  await Promise.all(sockets.map(({ s }) => new Promise<void>((r) => (s.connecting ? s.once('connect', () => r()) : r()))));
  const headerHalf = sockets.slice(0, SLOW_CONNECTIONS / 2);
  const bodyHalf = sockets.slice(SLOW_CONNECTIONS / 2);
  for (const { s } of bodyHalf) s.write(slowBody.head);

  let step = 0;
  let normalOk = 0;
  const normalFailed: string[] = [];
  while (Date.now() - started < limitMs && sockets.some((x) => !x.closed)) {
    for (const x of headerHalf) if (!x.closed && step < slowHeaders.length) x.s.write(slowHeaders[step]!);
    for (const x of bodyHalf) if (!x.closed && step < slowBody.length) x.s.write('a');
    step++;
    try {
      if (await normal()) normalOk++;
      else normalFailed.push(`step ${step}: wrong answer`);
    } catch (err) {
      normalFailed.push(`step ${step}: ${(err as Error).message}`);
    }
    await sleep(TRICKLE_MS);
  }
  const stillOpen = sockets.filter((x) => !x.closed).length;
  for (const { s } of sockets) s.destroy();
  return {
    closedByServer: sockets.length - stillOpen,
    answered408: sockets.filter((x) => x.got.startsWith('HTTP/1.1 408')).length,
    stillOpen,
    lastClosedMs: Math.max(...sockets.map((x) => x.closedAt)),
    normalOk,
    normalFailed,
  };
}

const report = (what: string, o: SlowOutcome) =>
  console.log(`slowloris ${what}: ${SLOW_CONNECTIONS} slow connections, ${o.closedByServer} closed by the server (${o.answered408} with 408), last after ${o.lastClosedMs} ms; ${o.normalOk} normal requests ok, ${o.normalFailed.length} failed`);

describe('registry server', () => {
  let h: TestRegistry;
  let server: RunningServer;
  beforeAll(async () => {
    h = await startTestRegistry();
    expect((await h.publish('m', '1.0.0', addModel())).status).toBe(201);
    server = await startRegistryServer(h.registry.app, 0, { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  });
  afterAll(async () => {
    await server?.close();
    await h?.close();
  });

  it('has header and body timeouts by default', async () => {
    const d = await startRegistryServer(h.registry.app, 0);
    try {
      expect(d.server.headersTimeout).toBeGreaterThan(0);
      expect(d.server.requestTimeout).toBeGreaterThan(0);
      expect(d.server.timeout).toBeGreaterThan(0);
    } finally {
      await d.close();
    }
  });

  it('keeps serving during a slowloris attack and closes every slow connection', async () => {
    const o = await attack(
      server.port,
      `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`,
      { head: `PUT /v1/models/slow/versions/1.0.0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.token}\r\nContent-Length: 1000000\r\n\r\n`, length: 1_000_000 },
      async () => {
        const r = await rawRequest(server.url, 'GET', '/v1/models/m', {}, undefined, 5_000);
        return r.status === 200 && JSON.parse(r.body).name === 'm';
      },
    );
    report('vs registry', o);
    expect(o.normalFailed).toEqual([]);
    expect(o.normalOk).toBeGreaterThan(3);
    expect(o.stillOpen).toBe(0);
    // The trickled uploads were abandoned: no partial file is left behind.
    await sleep(200);
    expect(await readdir(join(h.dataDir, 'registry', 'tmp'))).toEqual([]);
    expect((await h.json('/v1/models/slow')).status).toBe(404);
  });
});

describe('model-host TCP listener', () => {
  let host: InProcessHost;
  let server: Listening;
  beforeAll(async () => {
    host = await startInProcessHost([{ name: 'add', version: '1.0.0', model: addModel() }]);
    server = await listen(host.app, { port: 0, headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  });
  afterAll(async () => {
    await server?.close();
    await host?.close();
  });

  it('keeps serving during a slowloris attack and closes every slow connection', async () => {
    const infer = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });
    const o = await attack(
      server.port!,
      `GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`,
      { head: 'POST /v2/models/add/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n', length: 100_000 },
      async () => {
        const r = await rawRequest(server.address, 'POST', '/v2/models/add/infer', { 'content-type': 'application/json', 'content-length': String(infer.length) }, infer, 5_000);
        return r.status === 200 && JSON.stringify(JSON.parse(r.body).outputs[0].data) === '[2,3,4,5]';
      },
    );
    report('vs model-host', o);
    expect(o.normalFailed).toEqual([]);
    expect(o.normalOk).toBeGreaterThan(3);
    expect(o.stillOpen).toBe(0);
  });
});

describe('edgenn serve (one port: edge + registry)', () => {
  const tmp = tempDataDir('rel-slowloris');
  let serve: Serve;
  beforeAll(async () => {
    serve = await startServe(join(tmp.dir, 'data'), ['--no-model-host']);
    const dep = await fetch(`${serve.url}/v1/deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ manifest: { name: 'hi', routes: ['/hi/*'], models: [] }, module: 'export default { fetch() { return new Response("hi"); } };' }),
    });
    expect(dep.status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await serve?.stop();
    tmp.remove();
  });

  // Its header timeout is 30 s (uploads share the port), so this checks only that the slow
  // connections exhaust nothing; the sweep that closes them is the one tested above.
  it('keeps serving handlers, the admin API and the registry during a slowloris attack', async () => {
    const { port } = new URL(serve.url);
    let n = 0;
    const o = await attack(
      Number(port),
      `GET /hi/x HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`,
      { head: `POST /v1/deployments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n`, length: 1_000_000 },
      async () => {
        const path = ['/hi/x', '/v1/models', '/healthz/ready', '/v1/deployments'][n++ % 4]!;
        const r = await rawRequest(serve.url, 'GET', path, path.startsWith('/v1/deployments') ? { authorization: `Bearer ${TOKEN}` } : {}, undefined, 5_000);
        return r.status === 200 && (path !== '/hi/x' || r.body === 'hi');
      },
      6_000,
    );
    report('vs edgenn serve (6 s, not waiting for its 30 s header timeout)', o);
    expect(o.normalFailed).toEqual([]);
    expect(o.normalOk).toBeGreaterThan(3);
  });
});
