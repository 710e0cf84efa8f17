// A handler that cannot serve is refused at start with workerd's own words, and leaves nothing
// running: no process, no socket, no files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createWorkerdRuntime } from '../../edge/workerd/runtime.ts';
import type { WorkerRuntime } from '../../edge/contracts.ts';
import { EdgennError } from '../../wit/errors.ts';
import { createTestRouter, type TestRouter } from '../fixtures/handlers/onnx-router.ts';
import { manifest, specFromSource, tempDir } from '../fixtures/handlers/deploy.ts';

let dir: string;
let router: TestRouter;
let runtime: WorkerRuntime;

beforeAll(async () => {
  dir = tempDir();
  router = await createTestRouter({});
  runtime = createWorkerdRuntime({ runDir: `${dir}/run`, router, startTimeoutMs: 3_000 });
});

afterAll(async () => {
  await runtime?.close();
  await router?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** workerd processes that are children of this test process. */
function workerdChildren(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).trim();
  return out ? out.split('\n').filter((l) => l.includes('workerd')) : [];
}

async function refusal(name: string, source: string): Promise<EdgennError> {
  try {
    const w = await runtime.start(specFromSource(dir, manifest(name), source));
    await w.stop();
  } catch (err) {
    expect(err).toBeInstanceOf(EdgennError);
    expect(readdirSync(`${dir}/run`)).toEqual([]);
    expect(workerdChildren()).toEqual([]);
    return err as EdgennError;
  }
  throw new Error(`${name} started but should have been refused`);
}

describe('deploy-time failures', () => {
  it('a syntax error is refused with workerd\'s SyntaxError text', async () => {
    const e = await refusal('syntax', 'export default { fetch( { }');
    expect(e.code).toBe('invalid-argument');
    expect(e.message).toMatch(/SyntaxError/);
    expect(e.message).toContain('handler.js');
  });

  it('a module that throws at the top level is refused with the thrown error', async () => {
    const e = await refusal('throws', 'throw new Error("config missing: set API_KEY");');
    expect(e.code).toBe('invalid-argument');
    expect(e.message).toContain('config missing: set API_KEY');
  });

  it('no default export is refused, listing what it exports', async () => {
    const e = await refusal('nodefault', 'export const fetch = () => new Response("x");');
    expect(e.code).toBe('invalid-argument');
    expect(e.message).toContain('no default export (exports: fetch)');
  });

  it('a default export without fetch is refused', async () => {
    const e = await refusal('nofetch', 'export default { fetch: 5 };');
    expect(e.code).toBe('invalid-argument');
    expect(e.message).toContain('default export has no fetch() method');
  });

  it('a top-level infinite loop is refused after the start timeout', async () => {
    const e = await refusal('loop', 'while (true) {}\nexport default { fetch() { return new Response("never"); } };');
    expect(e.code).toBe('invalid-argument');
    expect(e.message).toContain('did not finish loading within 3000 ms');
  });

  it('bad manifest values are refused before workerd starts', async () => {
    const e = await runtime.start(specFromSource(dir, manifest('badvar', { vars: { AI: 'x' } }), 'export default { fetch() { return new Response("ok"); } };')).catch((err: unknown) => err as EdgennError);
    expect(e).toBeInstanceOf(EdgennError);
    expect((e as EdgennError).message).toContain('variable name AI is taken');
    expect(readdirSync(`${dir}/run`)).toEqual([]);
  });
});
