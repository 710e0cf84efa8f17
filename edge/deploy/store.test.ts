// The deployment store: versions increment, the current pointer moves atomically, rollback walks
// back the history, a crash mid-deploy leaves nothing that boot would restore, undeploy removes all.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDeploymentStore } from './store.ts';
import { validateManifest } from './manifest.ts';

const root = mkdtempSync(join(tmpdir(), 'edgenn-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const manifest = (name: string, v = '1') => validateManifest({ name, routes: [`/${name}/*`], models: [], vars: { V: v } });

describe('deployment store', () => {
  it('stages, activates, rolls back and removes', async () => {
    const store = createDeploymentStore(join(root, 'a'));
    await store.init();
    const s1 = await store.stage(manifest('hello', '1'), 'export default {}\n');
    expect(s1.version).toBe(1);
    expect(await store.get('hello')).toBeUndefined(); // staged is not current
    await store.activate('hello', 1);
    const s2 = await store.stage(manifest('hello', '2'), 'export default { v: 2 }\n');
    expect(s2.version).toBe(2);
    expect(readFileSync(s2.modulePath, 'utf8')).toContain('v: 2');
    await store.activate('hello', 2);

    const cur = await store.get('hello');
    expect(cur?.spec.version).toBe(2);
    expect(cur?.spec.manifest.vars).toEqual({ V: '2' });
    expect(cur?.pointer.history).toEqual([1]);

    const prev = await store.previous('hello');
    expect(prev?.version).toBe(1);
    await store.rolledBack('hello', 1);
    expect((await store.get('hello'))?.spec.version).toBe(1);
    expect(await store.previous('hello')).toBeUndefined();

    // After a rollback the next deploy still gets a fresh number.
    expect((await store.stage(manifest('hello', '3'), 'x')).version).toBe(3);
    await store.activate('hello', 3);
    expect((await store.get('hello'))?.pointer.history).toEqual([1]);

    expect((await store.list()).map((d) => d.spec.manifest.name)).toEqual(['hello']);
    await store.remove('hello');
    expect(await store.get('hello')).toBeUndefined();
    expect(readdirSync(store.dir)).toEqual([]);
  });

  it('discards a failed version and keeps the serving one', async () => {
    const store = createDeploymentStore(join(root, 'b'));
    await store.init();
    await store.stage(manifest('svc'), 'one');
    await store.activate('svc', 1);
    const bad = await store.stage(manifest('svc', '2'), 'two');
    await store.discard('svc', bad.version);
    expect(existsSync(bad.modulePath)).toBe(false);
    expect((await store.get('svc'))?.spec.version).toBe(1);
    // A first deploy that fails leaves no trace at all.
    const first = await store.stage(manifest('never'), 'x');
    await store.discard('never', first.version);
    expect(readdirSync(store.dir)).toEqual(['svc']);
  });

  it('cleans a crash mid-deploy at init', async () => {
    const data = join(root, 'c');
    const store = createDeploymentStore(data);
    await store.init();
    await store.stage(manifest('svc'), 'one');
    await store.activate('svc', 1);
    await store.stage(manifest('svc', '2'), 'two'); // staged, never activated: the crash
    mkdirSync(join(store.dir, 'svc', '.tmp-9-abc'));
    writeFileSync(join(store.dir, 'svc', '.tmp-deadbeef'), '{');
    await store.stage(manifest('orphan'), 'x'); // no current pointer at all

    const again = createDeploymentStore(data);
    await again.init();
    expect(readdirSync(join(again.dir, 'svc')).sort()).toEqual(['1', 'current']);
    expect((await again.list()).map((d) => `${d.spec.manifest.name}@${d.spec.version}`)).toEqual(['svc@1']);
    expect(existsSync(join(again.dir, 'orphan'))).toBe(false);
  });
});
