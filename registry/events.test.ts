// The event log agrees with the store: after normal operation reconciling adds nothing; after
// changes the log missed (a kill between index.json and the append) it announces exactly those.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addModel } from '../tests/fixtures/onnx-models.ts';
import { openEventLog, reconcileEvents, type EventLog } from './events.ts';
import { OciLayoutStore } from './oci-layout-store.ts';
import type { Signature } from './manifest.ts';

let dir: string;
let log: EventLog;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgenn-events-'));
  log = await openEventLog(join(dir, 'events.jsonl'));
});
afterEach(async () => {
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

const signature: Signature = { inputs: [], outputs: [] };
async function publish(store: OciLayoutStore, name: string, version: string, bias: number, aliases: string[] = []) {
  const upload = await store.receiveUpload([addModel({ bias })], 1 << 20);
  return store.publish({ ...upload, meta: { name, version, aliases }, signature });
}

describe('reconcileEvents', () => {
  it('adds nothing after normal operation, force deletes included', async () => {
    const store = new OciLayoutStore(join(dir, 'store'), { onChange: (c) => log.append(c) });
    await store.init();
    await publish(store, 'a', '1.0.0', 1, ['stable']);
    await publish(store, 'a', '2.0.0', 2);
    await store.setAlias('a', 'stable', '2.0.0');
    await store.deleteVersion('a', '2.0.0', { force: true });
    await publish(store, 'b', '1.0.0', 3);
    await store.deleteVersion('b', '1.0.0');
    expect(await reconcileEvents(log, await store.list())).toEqual([]);
  });

  it('announces what the log missed, once', async () => {
    const watched = new OciLayoutStore(join(dir, 'store'), { onChange: (c) => log.append(c) });
    await watched.init();
    await publish(watched, 'a', '1.0.0', 1);
    await publish(watched, 'gone', '1.0.0', 2);
    // A second run whose appends never happened: what a kill after index.json leaves behind.
    const unwatched = new OciLayoutStore(join(dir, 'store'));
    await unwatched.init();
    await publish(unwatched, 'a', '1.1.0', 3, ['beta']);
    await unwatched.deleteVersion('gone', '1.0.0');
    const missed = await reconcileEvents(log, await unwatched.list());
    expect(missed.map((e) => [e.type, e.name, e.version, e.alias])).toEqual([
      ['published', 'a', '1.1.0', undefined],
      ['alias-moved', 'a', '1.1.0', 'beta'],
      ['alias-moved', 'a', '1.1.0', 'latest'],
      ['deleted', 'gone', '1.0.0', undefined],
    ]);
    expect(await reconcileEvents(log, await unwatched.list())).toEqual([]);
  });

  it('drops a torn last line left by a kill mid-append', async () => {
    await log.append({ type: 'published', name: 'a', version: '1.0.0' });
    await log.close();
    await writeFile(join(dir, 'events.jsonl'), '{"id":2,"type":"publ', { flag: 'a' });
    log = await openEventLog(join(dir, 'events.jsonl'));
    expect(log.lastId).toBe(1);
    expect((await log.append({ type: 'deleted', name: 'a', version: '1.0.0' })).id).toBe(2);
    expect(log.since(0).map((e) => e.id)).toEqual([1, 2]);
  });
});
