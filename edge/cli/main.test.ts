// The one CLI: the overview lists every command with its summary, each command answers --help,
// and unknown commands or flags are usage errors (exit 2) that say what to do.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { projectRoot } from '../paths.ts';

const cli = (...args: string[]) => spawnSync(process.execPath, [join(projectRoot, 'edge/cli/edgenn.js'), ...args], { cwd: projectRoot, encoding: 'utf8', timeout: 30_000 });
const COMMANDS = ['deploy', 'handlers', 'rollback', 'undeploy', 'serve', 'registry', 'publish', 'models', 'model-host', 'demo'];

describe('edgenn CLI', () => {
  it('lists every command with a summary', () => {
    const r = cli('--help');
    expect(r.status).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
  });

  it('answers --help for each command', () => {
    for (const c of COMMANDS) {
      const r = cli(c, '--help');
      expect(r.status, c).toBe(0);
      expect(r.stdout, c).toContain('--data DIR');
    }
  });

  it('refuses an unknown command and an unknown flag with exit 2', () => {
    const a = cli('frobnicate');
    expect(a.status).toBe(2);
    expect(a.stderr).toContain("unknown command 'frobnicate'");
    const b = cli('models', '--no-such-flag');
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('no-such-flag');
  });
});
