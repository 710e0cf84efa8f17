import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../edge/paths.ts';
import { permissionFlag, planSandbox } from './sandbox.ts';

const base = mkdtempSync(join(tmpdir(), 'edgenn-sandbox-'));
chmodSync(base, 0o755);
afterAll(() => rmSync(base, { recursive: true, force: true }));

const plan = (over: Partial<Parameters<typeof planSandbox>[0]> = {}) =>
  planSandbox({ entry: join(projectRoot, 'dist/edge/cli/main.js'), args: ['--x'], projectRoot, cacheDir: join(base, 'cache'), socketPath: join(base, 'run', 'mh.sock'), ...over });

describe('sandbox plan', () => {
  it('picks the permission flag this Node accepts', () => {
    expect(permissionFlag(new Set(['--permission', '--allow-addons']))).toBe('--permission');
    expect(permissionFlag(new Set(['--experimental-permission']))).toBe('--experimental-permission');
    expect(permissionFlag(new Set(['--allow-wasi']))).toBeUndefined();
    expect(permissionFlag()).toBe(Number(process.versions.node.split('.')[0]) >= 22 ? '--permission' : '--experimental-permission');
  });

  it('allows reading code and cache, writing cache and socket dir, addons, and nothing else', () => {
    const p = plan();
    const flags = p.argv.slice(0, p.argv.indexOf(join(projectRoot, 'dist/edge/cli/main.js')));
    expect(flags).toContain(permissionFlag());
    expect(flags).toContain('--allow-addons');
    expect(flags).toContain(`--allow-fs-write=${join(base, 'cache')}`);
    expect(flags).toContain(`--allow-fs-write=${join(base, 'run')}`);
    expect(flags).toContain(`--allow-fs-read=${join(projectRoot, 'dist')}`);
    expect(flags.filter((f) => f.startsWith('--allow-fs-write')).length).toBe(2);
    expect(flags.some((f) => f.startsWith('--allow-child-process') || f.startsWith('--allow-worker'))).toBe(false);
    expect(p.argv.slice(-2)).toEqual([join(projectRoot, 'dist/edge/cli/main.js'), '--x']);
    expect(p.unavailable.join(' ')).toMatch(/native addons/);
  });

  it('scrubs the environment: no admin token, no NODE_OPTIONS, a read token only when given', () => {
    const env = { PATH: '/usr/bin', EDGENN_TOKEN: 'secret', NODE_OPTIONS: '--allow-child-process', AWS_SECRET_ACCESS_KEY: 'x', LD_LIBRARY_PATH: '/cuda' };
    const p = plan({ env, readToken: 'reader' });
    expect(p.env).toEqual({ PATH: '/usr/bin', LD_LIBRARY_PATH: '/cuda', HOME: join(base, 'cache'), EDGENN_READ_TOKEN: 'reader' });
    expect(plan({ env }).env.EDGENN_READ_TOKEN).toBeUndefined();
  });

  it.runIf(process.getuid?.() === 0)('drops root to nobody and hands it the cache and socket dirs', () => {
    const p = plan();
    expect(p.uid).toBe(65534);
    expect(statSync(join(base, 'cache')).uid).toBe(65534);
    expect(statSync(join(base, 'run')).uid).toBe(65534);
    expect(p.active.join(' ')).toMatch(/runs as 'nobody'/);
  });

  it.runIf(process.getuid?.() === 0)('never hands the unprivileged user a socket directory shared with other files', () => {
    mkdirSync(join(base, 'shared'), { recursive: true });
    writeFileSync(join(base, 'shared', 'edge.sock'), '');
    const p = plan({ socketPath: join(base, 'shared', 'mh.sock') });
    expect(p.uid).toBeUndefined();
    expect(statSync(join(base, 'shared')).uid).toBe(0);
    expect(p.unavailable.join(' ')).toMatch(/also holds edge.sock: still running as root/);
  });

  it.runIf(process.getuid?.() === 0)('stays root and says why when the unprivileged user could not reach its cache', () => {
    const closed = join(base, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    chmodSync(closed, 0o700);
    const p = plan({ cacheDir: join(closed, 'cache'), socketPath: join(closed, 'run', 'mh.sock') });
    expect(p.uid).toBeUndefined();
    expect(p.unavailable.join(' ')).toMatch(/still running as root/);
  });
});
