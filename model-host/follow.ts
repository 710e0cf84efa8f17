// Follows the registry's change feed so that a name or alias the model-host serves moves when the
// registry moves it (a publish moves `latest`): the new version is loaded and warmed beside the
// old one, the route moves only once it is ready, and the old one drains. Lifecycle path only.
import { toEdgennError } from '../wit/errors.ts';
import type { RegistryClient } from '../registry/client-types.ts';
import type { ModelManager } from './engine/manager.ts';

export interface FollowOptions {
  manager: Pick<ModelManager, 'ensure' | 'route' | 'routes' | 'status'>;
  registry: Pick<RegistryClient, 'events' | 'resolve'>;
  signal: AbortSignal;
  log: (line: string) => void;
}

/**
 * Runs until `signal` aborts. Each alias event is checked against the registry's CURRENT answer,
 * so a replayed history or events out of order never move a route backwards.
 */
export async function followRegistry(opts: FollowOptions): Promise<void> {
  const { manager, registry, log } = opts;
  try {
    for await (const event of registry.events({ signal: opts.signal })) {
      if (event.type !== 'alias-moved' || !event.alias) continue;
      // `latest` also carries the bare name.
      const selectors = manager.routes().filter((r) => r.name === event.name && (r.selector === event.alias || (event.alias === 'latest' && r.selector === '')));
      if (selectors.length === 0) continue;
      try {
        const manifest = await registry.resolve(`${event.name}@${event.alias}`);
        const moving = selectors.filter((r) => r.version !== manifest.version);
        if (moving.length === 0) continue;
        const pin = manager.status().some((s) => s.name === event.name && s.pinned && moving.some((r) => r.version === s.version));
        log(`follow: ${event.name}@${event.alias} is now ${manifest.version} in the registry: loading it beside ${moving[0]!.version}`);
        await manager.ensure(manifest, { pin });
        for (const r of moving) void manager.route(r.name, r.selector, manifest.version).catch((err) => log(`follow: ${r.name}@${r.selector || '(name)'}: ${toEdgennError(err).message}`));
        log(`follow: ${event.name}${selectors.map((r) => (r.selector ? `@${r.selector}` : '')).join(', ')} now serves ${manifest.version}`);
      } catch (err) {
        // The old version keeps serving; the next event (or a restart) tries again.
        log(`follow: could not move ${event.name}@${event.alias}: ${toEdgennError(err).message}; the current version keeps serving`);
      }
    }
  } catch (err) {
    if (!opts.signal.aborted) log(`follow: stopped following the registry: ${toEdgennError(err).message}`);
  }
}
