// The registry's change feed: an append-only JSON-lines log under the registry directory, so
// ids keep counting and `Last-Event-ID` resumption works across restarts.
import { open, readFile, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { ModelRecord } from './manifest.ts';
import type { RegistryEvent } from './store.ts';
import type { StoreChange } from './oci-layout-store.ts';

export type EventListener = (event: RegistryEvent) => void;

export interface EventLog {
  append(change: StoreChange): Promise<RegistryEvent>;
  /** Events with id > `afterId`, oldest first. */
  since(afterId: number): RegistryEvent[];
  readonly lastId: number;
  subscribe(listener: EventListener): () => void;
  close(): Promise<void>;
}

export async function openEventLog(path: string): Promise<EventLog> {
  const events: RegistryEvent[] = [];
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // A kill during an append can leave a partial last line: keep only whole, parseable lines.
  let goodBytes = 0;
  for (const line of text.split('\n')) {
    const lineBytes = Buffer.byteLength(line) + 1;
    if (line.trim() === '') {
      goodBytes += lineBytes;
      continue;
    }
    try {
      const e = JSON.parse(line) as RegistryEvent;
      if (typeof e.id !== 'number') break;
      events.push(e);
      goodBytes += lineBytes;
    } catch {
      break;
    }
  }
  goodBytes = Math.min(goodBytes, Buffer.byteLength(text));
  if (goodBytes < Buffer.byteLength(text)) await truncate(path, goodBytes);
  const fh: FileHandle = await open(path, 'a', 0o644);
  let lastId = events.at(-1)?.id ?? 0;
  const listeners = new Set<EventListener>();
  let chain: Promise<unknown> = Promise.resolve();

  return {
    get lastId() {
      return lastId;
    },
    append(change) {
      const run = chain.then(async () => {
        const event: RegistryEvent = { id: lastId + 1, ...change, time: new Date().toISOString() };
        await fh.appendFile(`${JSON.stringify(event)}\n`);
        await fh.sync();
        lastId = event.id;
        events.push(event);
        for (const l of listeners) l(event);
        return event;
      });
      chain = run.catch(() => {});
      return run;
    },
    since(afterId) {
      // ids are dense and start at 1, so the position is known; fall back to a scan if not.
      const start = events[afterId]?.id === afterId + 1 ? afterId : events.findIndex((e) => e.id > afterId);
      return start < 0 ? [] : events.slice(start);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await chain;
      await fh.close();
    },
  };
}

/**
 * Brings the feed in line with the store after a crash: a kill between writing index.json and
 * appending its event would otherwise leave subscribers one change behind for good. Replays the
 * log into the state it implies and appends whatever differs from `records` (the store's truth).
 */
export async function reconcileEvents(log: EventLog, records: ModelRecord[]): Promise<RegistryEvent[]> {
  const versions = new Map<string, string>(); // `name@version` → digest
  const aliases = new Map<string, string>(); // `name@alias` → version
  for (const e of log.since(0)) {
    if (e.type === 'published' && e.version) versions.set(`${e.name}@${e.version}`, e.digest ?? '');
    else if (e.type === 'alias-moved' && e.alias && e.version) aliases.set(`${e.name}@${e.alias}`, e.version);
    else if (e.type === 'deleted' && e.version) {
      versions.delete(`${e.name}@${e.version}`);
      for (const [k, v] of aliases) if (k.startsWith(`${e.name}@`) && v === e.version) aliases.delete(k);
    }
  }
  const emitted: RegistryEvent[] = [];
  const present = new Set<string>();
  for (const r of records) {
    for (const m of r.versions) {
      const key = `${r.name}@${m.version}`;
      present.add(key);
      if (versions.get(key) !== m.digest) emitted.push(await log.append({ type: 'published', name: r.name, version: m.version, digest: m.digest }));
    }
    for (const [alias, version] of Object.entries(r.aliases)) {
      if (aliases.get(`${r.name}@${alias}`) === version) continue;
      const digest = r.versions.find((v) => v.version === version)?.digest;
      emitted.push(await log.append({ type: 'alias-moved', name: r.name, alias, version, ...(digest ? { digest } : {}) }));
    }
  }
  for (const [key, digest] of versions) {
    if (present.has(key)) continue;
    const at = key.indexOf('@');
    emitted.push(await log.append({ type: 'deleted', name: key.slice(0, at), version: key.slice(at + 1), ...(digest ? { digest } : {}) }));
  }
  return emitted;
}
