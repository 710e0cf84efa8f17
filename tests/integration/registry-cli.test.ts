// The real CLI: `edgenn registry` serves, `edgenn publish` uploads and prints digest and
// signature, `edgenn models` lists and shows; errors come back as a message and exit code 1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { addModel, largeModel, scaleModel } from '../fixtures/onnx-models.ts';
import { projectRoot } from '../../edge/paths.ts';
import { spawnRegistryCli, type SpawnedRegistry } from './registry-harness.ts';

const token = 'cli-test-token';
let dir: string;
let reg: SpawnedRegistry;

function edgenn(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(projectRoot, 'edge/cli/edgenn.js'), ...args], { env: { ...process.env, EDGENN_TOKEN: '', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgenn-cli-'));
  reg = await spawnRegistryCli(join(dir, 'data'), { EDGENN_TOKEN: token });
  await writeFile(join(dir, 'add.onnx'), addModel());
  await writeFile(join(dir, 'scale.onnx'), scaleModel());
});
afterAll(async () => {
  await reg?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('edgenn publish / models', () => {
  it('publishes a model and prints digest and signature', async () => {
    const digest = `sha256:${createHash('sha256').update(addModel()).digest('hex')}`;
    const r = await edgenn(['publish', join(dir, 'add.onnx'), '--name', 'adder', '--version', '1.0.0', '--label', 'team=ml', '--alias', 'stable', '--placement', 'cpu', '--preload', '--description', 'adds one', '--registry', reg.url, '--token', token]);
    expect(r.stderr).toContain('publishing 100%');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('published adder@1.0.0');
    expect(r.stdout).toContain(digest);
    expect(r.stdout).toContain('x: FP32[batch, 4]');
    expect(r.stdout).toContain('y: FP32[batch, 4]');
    expect(r.stdout).toContain('opset 17');
    expect(r.stdout).toMatch(/aliases\s+latest, stable/);
    expect(reg.output()).not.toContain(token);
  });

  it('takes the token from EDGENN_TOKEN', async () => {
    const r = await edgenn(['publish', join(dir, 'scale.onnx'), '--name', 'scaler', '--version', '0.1.0', '--registry', reg.url], { EDGENN_TOKEN: token });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('k: I64[]');
  });

  it('lists models as a table and shows one', async () => {
    const list = await edgenn(['models', '--registry', reg.url]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+LATEST\s+VERSIONS\s+ALIASES\s+SIZE\s+PLACEMENT\s+TASK$/);
    expect(lines[1]).toMatch(/^adder\s+1\.0\.0\s+1\s+stable=1\.0\.0\s+\S+ B\s+cpu/);
    expect(lines[2]).toMatch(/^scaler\s+0\.1\.0\s+1\s+-/);

    const show = await edgenn(['models', 'show', 'adder', '--registry', reg.url]);
    expect(show.stdout).toContain('aliases: latest → 1.0.0, stable → 1.0.0');
    expect(show.stdout).toMatch(/^1\.0\.0\s+sha256:/m);
    const version = await edgenn(['models', 'show', 'adder@stable', '--json', '--registry', reg.url]);
    expect(JSON.parse(version.stdout)).toMatchObject({ name: 'adder', version: '1.0.0', labels: { team: 'ml' }, preload: true });
  });

  it('moves an alias and deletes a version', async () => {
    await edgenn(['publish', join(dir, 'scale.onnx'), '--name', 'adder', '--version', '2.0.0', '--registry', reg.url, '--token', token]);
    expect((await edgenn(['models', 'alias', 'adder', 'stable', '2.0.0', '--registry', reg.url, '--token', token])).code).toBe(0);
    const del = await edgenn(['models', 'delete', 'adder@1.0.0', '--registry', reg.url, '--token', token]);
    expect(del.code).toBe(0);
    const show = await edgenn(['models', 'show', 'adder', '--json', '--registry', reg.url]);
    expect(JSON.parse(show.stdout).versions.map((v: any) => v.version)).toEqual(['2.0.0']);
  });

  it('fails with a message and exit 1', async () => {
    const noToken = await edgenn(['publish', join(dir, 'add.onnx'), '--name', 'adder', '--version', '3.0.0', '--registry', reg.url, '--data', join(dir, 'elsewhere')]);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('unauthorized');
    const missing = await edgenn(['models', 'show', 'nobody', '--registry', reg.url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('not-found');
    const badName = await edgenn(['publish', join(dir, 'add.onnx'), '--name', '../x', '--version', '1.0.0', '--registry', reg.url]);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('lowercase DNS label');
    const noFile = await edgenn(['publish', join(dir, 'nope.onnx'), '--name', 'x', '--version', '1.0.0', '--registry', reg.url]);
    expect(noFile.code).toBe(2);
    const down = await edgenn(['models', '--registry', 'http://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('unreachable');
  });

  it.skipIf(!existsSync('/usr/bin/script'))('draws a progress bar on a terminal', async () => {
    await writeFile(join(dir, 'big.onnx'), largeModel(3 * 1024 * 1024));
    const cmd = [process.execPath, join(projectRoot, 'edge/cli/edgenn.js'), 'publish', join(dir, 'big.onnx'), '--name', 'tty', '--version', '1.0.0', '--registry', reg.url, '--token', token].map((a) => `'${a}'`).join(' ');
    const out = await new Promise<string>((resolve) => {
      // `script` runs the command on a pseudo-terminal, so stderr.isTTY is true.
      execFile('/usr/bin/script', ['-qec', cmd, '/dev/null'], { timeout: 60_000 }, (_err, stdout) => resolve(stdout));
    });
    expect(out).toMatch(/\rpublishing \[#+-*\]\s+\d+%/);
    expect(out).toMatch(/\rpublishing \[#{30}\] 100%/);
    expect(out).toContain('published tty@1.0.0');
  });
});
