// One process per registry directory: a second open is refused while the first is live, a lock
// left by a dead process is taken over, and closing releases it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from './registry.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgenn-lock-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('registry directory lock', () => {
  it('refuses a second open until the first closes', async () => {
    const first = await createRegistry({ dataDir: join(dir, 'a'), token: 't' });
    await expect(createRegistry({ dataDir: join(dir, 'a'), token: 't' })).rejects.toMatchObject({ code: 'conflict' });
    await first.close();
    const second = await createRegistry({ dataDir: join(dir, 'a'), token: 't' });
    await second.close();
  });

  it('refuses while another live process holds it', async () => {
    await mkdir(join(dir, 'b', 'registry'), { recursive: true });
    await writeFile(join(dir, 'b', 'registry', 'lock'), `${process.ppid}\n`);
    await expect(createRegistry({ dataDir: join(dir, 'b'), token: 't' })).rejects.toThrow(`pid ${process.ppid}`);
  });

  it('takes over a lock whose process is dead', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await mkdir(join(dir, 'c', 'registry'), { recursive: true });
    await writeFile(join(dir, 'c', 'registry', 'lock'), `${dead.stdout}\n`);
    const r = await createRegistry({ dataDir: join(dir, 'c'), token: 't' });
    await r.close();
  });
});
