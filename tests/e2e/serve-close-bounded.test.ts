// End to end: `edgenn serve` is stopped while a persisted deployment's restore is stuck waiting
// for a model-host that never becomes ready (frozen with SIGSTOP as it starts). SIGTERM must still
// end the process promptly (well before the lifecycle's own 60 s wait) with no child left behind.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../registry/client.ts';
import { addModel, writeModel } from '../fixtures/onnx-models.ts';
import { TOKEN, deploy, processesMentioning, startServe, tempDataDir, waitReady } from './serve-harness.ts';

const tmp = tempDataDir('close-bounded');
const data = join(tmp.dir, 'data');
const pidOf = (line: string) => Number(line.split(':')[0]);

/** Whatever is still running for this data dir: woken and killed, so a failing test leaves nothing behind. */
async function killLeftovers(): Promise<void> {
  for (const p of await processesMentioning(data)) {
    for (const sig of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(pidOf(p), sig);
      } catch {
        // already gone
      }
    }
  }
}

afterAll(async () => {
  await killLeftovers();
  tmp.remove();
});

/** Freezes the model-host of this data dir the moment it appears (bounded: 3000 looks, ~5 ms apart). */
async function freezeModelHost(): Promise<number> {
  for (let i = 0; i < 3000; i++) {
    const hosts = (await processesMentioning(join(data, 'run', 'model-host'))).filter((p) => p.includes('model-host/main.js'));
    if (hosts.length) {
      process.kill(pidOf(hosts[0]!), 'SIGSTOP');
      return pidOf(hosts[0]!);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the model-host never started');
}

describe('edgenn serve shutdown', () => {
  it('ends within a bounded wait while a restore waits on a model-host that never gets ready, leaving no child', async () => {
    // First run: a deployment whose model lives on the model-host (preloaded there at every start).
    const first = await startServe(data);
    const registry = createRegistryClient({ url: first.url, token: TOKEN });
    await registry.publish(writeModel(join(tmp.dir, 'h.onnx'), addModel({ bias: 2 })), { name: 'hosted', version: '1.0.0', placement: 'gpu', preload: true });
    const d = await deploy(first.url, 'tests/e2e/handlers/infer.ts', ['--name', 'hosted', '--route', '/hosted/*', '--model', 'hosted']);
    expect(d.code, d.stderr).toBe(0);
    await waitReady(first.url);
    expect(await first.stop()).toBe(0);

    // Second run: the model-host is frozen before it can be ready, so the restore waits on it.
    const frozen = freezeModelHost();
    const second = await startServe(data);
    await frozen;
    // Until the restore is past the registry and waiting on the model-host (bounded: 400 looks, 50 ms apart).
    for (let i = 0; i < 400 && !/"msg":"loading model","model":"hosted@1.0.0","placement":"model-host"/.test(second.output()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(second.output()).toContain('"msg":"loading model","model":"hosted@1.0.0"');
    const ready = await fetch(`${second.url}/healthz/ready`, { signal: AbortSignal.timeout(10_000) });
    const why = await ready.text();
    expect(ready.status, why).toBe(503);
    expect(why).toMatch(/restor/);

    const exited = new Promise<number | null>((resolve) => second.proc.once('exit', (code) => resolve(code)));
    second.proc.kill('SIGTERM');
    // The lifecycle alone would wait 60 s for the model-host; shutdown must not.
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 20_000)))]);
    clearTimeout(timer);
    expect(code, second.output().slice(-3000)).toBe(0);

    // No model-host, workerd or anything else of this data dir is left (bounded: 50 looks, 100 ms apart).
    let left: string[] = [];
    for (let i = 0; i < 50; i++) {
      left = await processesMentioning(data);
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toEqual([]);
  }, 180_000);
});
