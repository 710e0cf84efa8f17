// The registry's change feed: an append-only JSON-lines log under the registry directory, so
// ids keep counting and `Last-Event-ID` resumption works across restarts.
import { open, readFile, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
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
