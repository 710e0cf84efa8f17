// No orphans: when the edge process ends — by exiting, or killed outright with SIGKILL — its
// workerd processes end with it (exit hook; PR_SET_PDEATHSIG through setpriv).
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tempDir, waitFor } from '../fixtures/handlers/deploy.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startEdge(how: 'exit' | 'wait') {
  const dir = tempDir();
  dirs.push(dir);
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/handlers/orphan-parent.ts', dir, how], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('edge stand-in printed nothing within 30 s')), 30_000);
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
  });
  const { pids } = JSON.parse(first) as { pids: number[] };
  return { child, pids };
}

describe('workerd processes never outlive the edge', () => {
  it('an edge that exits takes its workerd processes with it', async () => {
    const { pids } = await startEdge('exit');
    expect(pids).toHaveLength(1);
    expect(await waitFor(() => !alive(pids[0]!), 5_000)).toBe(true);
  });

  it('an edge killed with SIGKILL takes its workerd processes with it', async () => {
    const { child, pids } = await startEdge('wait');
    expect(pids).toHaveLength(1);
    expect(alive(pids[0]!)).toBe(true);
    child.kill('SIGKILL');
    expect(await waitFor(() => !alive(pids[0]!), 5_000)).toBe(true);
  });
});
