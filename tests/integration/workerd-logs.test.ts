// Handler console output reaches the edge's log with the deployment's name, at most 200 lines a
// second per deployment: the rest is counted and reported, not written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { createWorkerdRuntime } from '../../edge/workerd/runtime.ts';
import type { WorkerInstance, WorkerRuntime } from '../../edge/contracts.ts';
import { createTestRouter, type TestRouter } from '../fixtures/handlers/onnx-router.ts';
import { manifest, specFromSource, tempDir, waitFor } from '../fixtures/handlers/deploy.ts';

const CHATTY = `export default { fetch(request) { const n = Number(new URL(request.url).searchParams.get('n')); for (let i = 0; i < n; i++) console.log('line ' + i); return new Response('logged ' + n); } };`;

let dir: string;
let router: TestRouter;
let runtime: WorkerRuntime;
let worker: WorkerInstance;
const lines: string[] = [];

beforeAll(async () => {
  dir = tempDir();
  router = await createTestRouter({});
  runtime = createWorkerdRuntime({ runDir: `${dir}/run`, router, log: (l) => lines.push(l) });
  worker = await runtime.start(specFromSource(dir, manifest('chatty'), CHATTY));
});

afterAll(async () => {
  await runtime?.close();
  await router?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('handler logs', () => {
  it('are labelled and rate-limited per deployment', async () => {
    expect(await (await worker.fetch(new Request('http://t.test/?n=1000'), 'r1')).text()).toBe('logged 1000');
    const mine = () => lines.filter((l) => l.startsWith('workerd chatty@1 stdout:'));
    expect(await waitFor(() => mine().length >= 200, 5_000)).toBe(true);
    expect(mine()[0]).toContain('line 0');
    // Past the window, the next line reports what was dropped.
    await new Promise((r) => setTimeout(r, 1_100));
    await worker.fetch(new Request('http://t.test/?n=1'), 'r2');
    expect(await waitFor(() => lines.some((l) => /workerd chatty@1: \d+ log lines dropped/.test(l)), 5_000)).toBe(true);
    expect(mine().length).toBeLessThan(1000);
  });
});
