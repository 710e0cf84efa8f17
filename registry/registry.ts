// Wires one registry: the OCI layout store and the event log under <dataDir>/registry, and the
// HTTP app over them. `edgenn registry` serves it alone; `edgenn serve` mounts `app` beside the edge.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { createRegistryApp, type RegistryAppOptions } from './app.ts';
import { openEventLog, reconcileEvents, type EventLog } from './events.ts';
import { OciLayoutStore } from './oci-layout-store.ts';
import { acquireDirLock } from './dir-lock.ts';

export interface RegistryOptions extends Omit<RegistryAppOptions, 'store' | 'events' | 'shutdown'> {
  dataDir: string;
}

export interface Registry {
  app: Hono;
  store: OciLayoutStore;
  events: EventLog;
  /** The directory holding the OCI layout and events.jsonl. */
  dir: string;
  /** Ends open event streams, closes the event log and releases the directory lock. */
  close(): Promise<void>;
}

export async function createRegistry(options: RegistryOptions): Promise<Registry> {
  const { dataDir, ...appOptions } = options;
  const dir = join(dataDir, 'registry');
  await mkdir(dir, { recursive: true });
  const release = await acquireDirLock(join(dir, 'lock'), `the registry in ${dir}`);
  let events: EventLog;
  let store: OciLayoutStore;
  try {
    events = await openEventLog(join(dir, 'events.jsonl'));
    store = new OciLayoutStore(dir, { onChange: (change) => events.append(change) });
    await store.init();
  } catch (err) {
    await release();
    throw err;
  }
  const caughtUp = await reconcileEvents(events, await store.list());
  if (caughtUp.length) appOptions.log?.(`registry: announced ${caughtUp.length} change(s) a previous run stored but did not get to announce`);
  const shutdown = new AbortController();
  const app = createRegistryApp({ ...appOptions, store, events, shutdown: shutdown.signal });
  return {
    app,
    store,
    events,
    dir,
    async close() {
      shutdown.abort();
      await events.close();
      await release();
    },
  };
}
