// The change feed: SSE with ids and heartbeats, resumption with Last-Event-ID (also after a
// restart, since the log is on disk), and a client that reconnects on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addModel } from '../fixtures/onnx-models.ts';
import { createRegistry, type Registry } from '../../registry/registry.ts';
import { startRegistryServer, type RunningServer } from '../../registry/server.ts';
import { createRegistryClient } from '../../registry/client.ts';
import type { RegistryEvent } from '../../registry/store.ts';

const token = 'events-test-token';
let dataDir: string;
let registry: Registry;
let server: RunningServer;

async function start(port = 0): Promise<void> {
  registry = await createRegistry({ dataDir, token, heartbeatSeconds: 0.2 });
  server = await startRegistryServer(registry.app, port);
}
async function stop(): Promise<void> {
  await registry.close();
  await server.close();
}
async function publish(name: string, version: string, bias: number, query = ''): Promise<void> {
  const res = await fetch(`${server.url}/v1/models/${name}/versions/${version}${query}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: addModel({ bias }) });
  expect(res.status).toBe(201);
}
/** Takes `n` events from an iterator, failing instead of hanging if they never come. */
async function take(it: AsyncIterator<RegistryEvent>, n: number): Promise<RegistryEvent[]> {
  const out: RegistryEvent[] = [];
  while (out.length < n) {
    const next = await Promise.race([it.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`only ${out.length} of ${n} events arrived`)), 20_000))]);
    if (next.done) throw new Error('the feed ended');
    out.push(next.value);
  }
  return out;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'edgenn-events-'));
  await start();
});
afterAll(async () => {
  await stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('event feed', () => {
  it('announces publishes, alias moves and deletes with SSE ids and heartbeats', async () => {
    const ac = new AbortController();
    const res = await fetch(`${server.url}/v1/events`, { signal: ac.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    await publish('feed', '1.0.0', 1, '?alias=stable');
    await fetch(`${server.url}/v1/models/feed/versions/1.0.0?force=true`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    const reader = res.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    for (let i = 0; i < 200 && !(text.includes('event: deleted') && text.includes(': heartbeat')); i++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    ac.abort();
    expect(text).toMatch(/event: published\ndata: \{.*"name":"feed".*\}\nid: 1\n\n/);
    expect(text).toMatch(/event: alias-moved\ndata: .*"alias":"latest".*\nid: 2\n\n/);
    expect(text).toMatch(/event: alias-moved\ndata: .*"alias":"stable".*\nid: 3\n\n/);
    expect(text).toMatch(/event: deleted\ndata: .*"version":"1.0.0".*\nid: 4\n\n/);
    expect(text).toContain(': heartbeat');
  });

  it('resumes after Last-Event-ID, also across a restart', async () => {
    const last = registry.events.lastId;
    await publish('feed', '2.0.0', 2);
    await stop();
    await start();
    await publish('feed', '3.0.0', 3);
    const ac = new AbortController();
    const client = createRegistryClient({ url: server.url });
    const it = client.events({ lastEventId: last, signal: ac.signal })[Symbol.asyncIterator]();
    const got = await take(it, 4);
    ac.abort();
    expect(got.map((e) => [e.id, e.type, e.version])).toEqual([
      [last + 1, 'published', '2.0.0'],
      [last + 2, 'alias-moved', '2.0.0'],
      [last + 3, 'published', '3.0.0'],
      [last + 4, 'alias-moved', '3.0.0'],
    ]);
  });

  it('the client reconnects when the server goes away and comes back', async () => {
    const ac = new AbortController();
    const client = createRegistryClient({ url: server.url, maxBackoffMs: 500 });
    const it = client.events({ lastEventId: registry.events.lastId, signal: ac.signal })[Symbol.asyncIterator]();
    const pending = take(it, 2);
    const port = server.port;
    await stop();
    await start(port);
    await publish('feed', '4.0.0', 4);
    const got = await pending;
    ac.abort();
    expect(got.map((e) => [e.type, e.version])).toEqual([
      ['published', '4.0.0'],
      ['alias-moved', '4.0.0'],
    ]);
    // Aborting ends the iteration instead of reconnecting forever.
    expect((await it.next()).done).toBe(true);
  });
});
