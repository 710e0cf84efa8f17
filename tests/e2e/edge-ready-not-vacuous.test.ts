// End to end: ready is never vacuously true. A persisted deployment whose model can no longer be
// resolved (deleted from the registry while the edge was down) keeps /healthz/ready at 503, saying
// which deployment and model, once the restore has run; `edgenn handlers` shows why, and its
// route answers 503 + Retry-After.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../registry/client.ts';
import { addModel, writeModel } from '../fixtures/onnx-models.ts';
import { TOKEN, cli, deploy, startServe, tempDataDir, type Serve } from './serve-harness.ts';

const tmp = tempDataDir('not-vacuous');
const data = join(tmp.dir, 'data');
let serve: Serve | undefined;

afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

describe('readiness', () => {
  it('stays 503 while a restored deployment cannot get its model', async () => {
    serve = await startServe(data, ['--no-model-host']);
    const registry = createRegistryClient({ url: serve.url, token: TOKEN });
    await registry.publish(writeModel(join(tmp.dir, 'gone.onnx'), addModel({ bias: 1 })), { name: 'gone', version: '1.0.0', placement: 'cpu' });
    const d = await deploy(serve.url, 'tests/e2e/handlers/infer.ts', ['--name', 'orphan', '--route', '/orphan/*', '--model', 'gone@1.0.0']);
    expect(d.code, d.stderr).toBe(0);
    await registry.deleteVersion('gone', '1.0.0', { force: true });
    expect(await serve.stop()).toBe(0);

    serve = await startServe(data, ['--no-model-host']);
    // Bounded wait for the restore to have run (its log line), then ready must still say no.
    for (let i = 0; i < 200 && !serve.output().includes('"deployments restored"'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(serve.output()).toContain('"deployments restored"');
    const res = await fetch(`${serve.url}/healthz/ready`);
    expect(res.status).toBe(503);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain("deployment 'orphan'");
    expect(error.message).toContain('gone@1.0.0');
    const list = await cli(['handlers', '--edge', serve.url]);
    expect(list.stdout).toMatch(/orphan\s+1\s+restoring: .*gone@1\.0\.0/);
    // Its route is still its own: callers are told to come back, not that nothing lives there.
    const call = await fetch(`${serve.url}/orphan/x`);
    expect(call.status).toBe(503);
    expect(call.headers.get('retry-after')).toBe('5');
    expect(((await call.json()) as { error: { message: string } }).error.message).toContain('gone@1.0.0');
  }, 120_000);
});
