// Escape attempts run from INSIDE the model-host process, enabled only by its --test-probes flag,
// so tests prove what the sandbox refuses rather than trusting the flags we passed.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

export interface ProbeResult {
  ok: boolean;
  /** The error code the attempt failed with (ERR_ACCESS_DENIED under the permission model). */
  code?: string;
  message?: string;
  value?: unknown;
}

function attempt(fn: () => unknown): ProbeResult {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, code: e.code ?? 'ERROR', message: e.message.split('\n')[0]! };
  }
}

export async function runProbe(body: Record<string, unknown>): Promise<ProbeResult> {
  const path = typeof body.path === 'string' ? body.path : '';
  switch (body.action) {
    case 'write':
      return attempt(() => writeFileSync(path, 'probe'));
    case 'read':
      return attempt(() => readFileSync(path, 'utf8').length);
    case 'spawn':
      return attempt(() => execFileSync('/bin/sh', ['-c', 'echo escaped'], { encoding: 'utf8', timeout: 5_000 }));
    case 'worker':
      return attempt(() => {
        const w = new Worker('setInterval(() => {}, 1000)', { eval: true });
        void w.terminate();
        return 'started';
      });
    case 'env':
      return { ok: true, value: { ...process.env } };
    case 'block': {
      // Blocks the event loop (a hung model-host), bounded to a minute.
      const end = Date.now() + Math.min(60_000, Number(body.ms) || 0);
      while (Date.now() < end) {
        // spin
      }
      return { ok: true };
    }
    case 'identity':
      return { ok: true, value: { uid: process.getuid?.(), gid: process.getgid?.(), permission: typeof (process as { permission?: unknown }).permission === 'object' } };
    default:
      return { ok: false, code: 'UNKNOWN_ACTION', message: 'action must be write, read, spawn, worker, env, block or identity' };
  }
}
