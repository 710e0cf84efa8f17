// One process owns a registry directory at a time: two processes each holding index.json in
// memory would overwrite each other's publishes. A lock file with the owner's pid; a lock left by
// a dead process (kill -9) is taken over.
import { open, readFile, rm } from 'node:fs/promises';
import { EdgennError } from '../wit/errors.ts';

/** Locks held by this process, so a pid reused after a crash is not mistaken for a live owner. */
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireDirLock(path: string, what: string): Promise<() => Promise<void>> {
  if (heldHere.has(path)) throw new EdgennError('conflict', `${what} is already open in this process; close it first`);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o644);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      heldHere.add(path);
      return async () => {
        heldHere.delete(path);
        await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new EdgennError('conflict', `${what} is in use by another edgenn process (pid ${pid}); stop it or use another --data directory`);
    }
    await rm(path, { force: true }); // stale: its owner is gone
  }
  throw new EdgennError('conflict', `could not lock ${path}; remove it if no edgenn process is running`);
}
