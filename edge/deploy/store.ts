// Deployments on disk: `<data>/deployments/<name>/<version>/{manifest.json,module.js}` plus a
// `current` pointer per name, written atomically (temp + fsync + rename) so a crash never leaves half.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeploymentManifest, DeploymentSpec } from '../contracts.ts';
import { EdgennError } from '../../wit/errors.ts';
import { NAME_RE } from '../../registry/manifest.ts';

/** The `current` pointer: the serving version, and the versions before it (newest last) for rollback. */
export interface CurrentPointer {
  version: number;
  history: number[];
  updated: string;
}

export interface StoredDeployment {
  spec: DeploymentSpec;
  pointer: CurrentPointer;
  /** Every version kept on disk, ascending. */
  versions: number[];
}

export interface DeploymentStore {
  readonly dir: string;
  /** Creates the folder and removes temp files and versions that never became current (a crash mid-deploy). */
  init(): Promise<void>;
  /** Writes the next version of `manifest.name` to disk without making it current. */
  stage(manifest: DeploymentManifest, module: string): Promise<DeploymentSpec>;
  /** Makes a staged version current; the old current goes onto the history. */
  activate(name: string, version: number): Promise<CurrentPointer>;
  /** The version a rollback returns to (the newest in the history), or undefined. */
  previous(name: string): Promise<DeploymentSpec | undefined>;
  /** Makes the previous version current again and drops it from the history. */
  rolledBack(name: string, version: number): Promise<CurrentPointer>;
  /** Removes a staged version that did not become current. */
  discard(name: string, version: number): Promise<void>;
  get(name: string): Promise<StoredDeployment | undefined>;
  /** Every deployment with a current version, sorted by name. */
  list(): Promise<StoredDeployment[]>;
  /** Removes a deployment and all its versions. */
  remove(name: string): Promise<void>;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeDurable(path: string, data: string): Promise<void> {
  const fh = await open(path, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** temp + fsync + rename + fsync(dir): readers see the old file or the new one, never half. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const dir = join(path, '..');
  const tmp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
  try {
    await writeDurable(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

function isVersionDir(entry: string): boolean {
  return /^[1-9]\d{0,8}$/.test(entry);
}

export function createDeploymentStore(dataDir: string): DeploymentStore {
  const dir = join(dataDir, 'deployments');
  const nameDir = (name: string) => {
    // Names were validated on the way in; this guards the file system against anything else.
    if (!NAME_RE.test(name)) throw new EdgennError('invalid-argument', `'${name}' is not a deployment name`);
    return join(dir, name);
  };
  const versionDir = (name: string, version: number) => join(nameDir(name), String(version));

  async function versions(name: string): Promise<number[]> {
    const entries = await readdir(nameDir(name)).catch(() => [] as string[]);
    return entries.filter(isVersionDir).map(Number).sort((a, b) => a - b);
  }

  async function readPointer(name: string): Promise<CurrentPointer | undefined> {
    const text = await readFile(join(nameDir(name), 'current'), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : (JSON.parse(text) as CurrentPointer);
  }

  async function spec(name: string, version: number): Promise<DeploymentSpec> {
    const vdir = versionDir(name, version);
    const manifest = JSON.parse(await readFile(join(vdir, 'manifest.json'), 'utf8')) as DeploymentManifest;
    return { manifest, version, modulePath: join(vdir, 'module.js') };
  }

  async function writePointer(name: string, version: number, history: number[]): Promise<CurrentPointer> {
    const pointer: CurrentPointer = { version, history, updated: new Date().toISOString() };
    await writeFileAtomic(join(nameDir(name), 'current'), `${JSON.stringify(pointer)}\n`);
    return pointer;
  }

  async function get(name: string): Promise<StoredDeployment | undefined> {
    const pointer = await readPointer(name);
    if (!pointer) return undefined;
    return { spec: await spec(name, pointer.version), pointer, versions: await versions(name) };
  }

  return {
    dir,

    async init() {
      await mkdir(dir, { recursive: true });
      for (const name of await readdir(dir)) {
        const ndir = join(dir, name);
        if (name.startsWith('.tmp-')) {
          await rm(ndir, { recursive: true, force: true });
          continue;
        }
        if (!NAME_RE.test(name) || !(await stat(ndir)).isDirectory()) continue;
        const pointer = await readPointer(name);
        const keep = new Set(pointer ? [pointer.version, ...pointer.history] : []);
        for (const entry of await readdir(ndir)) {
          const stale = entry.startsWith('.tmp-') || (isVersionDir(entry) && !keep.has(Number(entry)));
          if (stale) await rm(join(ndir, entry), { recursive: true, force: true });
        }
        if (!pointer) await rm(ndir, { recursive: true, force: true });
      }
    },

    async stage(manifest, module) {
      const ndir = nameDir(manifest.name);
      await mkdir(ndir, { recursive: true });
      const version = Math.max(0, ...(await versions(manifest.name))) + 1;
      const tmp = join(ndir, `.tmp-${version}-${randomBytes(6).toString('hex')}`);
      try {
        await mkdir(tmp);
        await writeDurable(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
        await writeDurable(join(tmp, 'module.js'), module);
        await fsyncDir(tmp);
        await rename(tmp, versionDir(manifest.name, version));
        await fsyncDir(ndir);
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
      return spec(manifest.name, version);
    },

    async activate(name, version) {
      const old = await readPointer(name);
      const history = old ? [...old.history, old.version] : [];
      return writePointer(name, version, history);
    },

    async previous(name) {
      const pointer = await readPointer(name);
      const prev = pointer?.history.at(-1);
      return prev === undefined ? undefined : spec(name, prev);
    },

    async rolledBack(name, version) {
      const old = await readPointer(name);
      if (!old || old.history.at(-1) !== version) throw new EdgennError('conflict', `deployment '${name}' changed during the rollback; try again`);
      return writePointer(name, version, old.history.slice(0, -1));
    },

    async discard(name, version) {
      const pointer = await readPointer(name);
      if (pointer && (pointer.version === version || pointer.history.includes(version))) return;
      await rm(versionDir(name, version), { recursive: true, force: true });
      if (!pointer) await rm(nameDir(name), { recursive: true, force: true });
    },

    get,

    async list() {
      const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => NAME_RE.test(n)).sort();
      const out: StoredDeployment[] = [];
      for (const name of names) {
        const d = await get(name);
        if (d) out.push(d);
      }
      return out;
    },

    async remove(name) {
      // Rename first, so a crash mid-delete never leaves a half deployment that boot would restore.
      const trash = join(dir, `.tmp-removed-${name}-${randomBytes(6).toString('hex')}`);
      await rename(nameDir(name), trash).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await fsyncDir(dir);
      await rm(trash, { recursive: true, force: true });
    },
  };
}
