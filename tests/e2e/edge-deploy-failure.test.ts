// End to end: a deploy that cannot start (workerd refuses the module, a model that does not exist,
// a bundling error) leaves the old version serving; then a new version, a rollback, an undeploy.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../registry/client.ts';
import { addModel, writeModel } from '../fixtures/onnx-models.ts';
import { TOKEN, cli, deploy, startServe, tempDataDir, type Serve } from './serve-harness.ts';

const tmp = tempDataDir('deploys');
let serve: Serve;
const args = (v: string) => ['--name', 'svc', '--route', '/svc/*', '--model', 'tiny@stable', '--var', `VERSION=${v}`];

async function version(): Promise<unknown> {
  const res = await fetch(`${serve.url}/svc/x`);
  const body = (await res.json()) as { version?: unknown };
  return res.status === 200 ? body.version : `HTTP ${res.status}`;
}

beforeAll(async () => {
  serve = await startServe(join(tmp.dir, 'data'), ['--no-model-host']);
  const registry = createRegistryClient({ url: serve.url, token: TOKEN });
  await registry.publish(writeModel(join(tmp.dir, 'tiny.onnx'), addModel({ bias: 1 })), { name: 'tiny', version: '1.0.0', placement: 'cpu', aliases: ['stable'] });
  const d = await deploy(serve.url, 'tests/e2e/handlers/infer.ts', args('1'));
  expect(d.code, d.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

describe('deploys that fail keep the old version serving', () => {
  it('serves version 1', async () => {
    expect(await version()).toBe('1');
  });

  it("answers workerd's reason when the module has no fetch()", async () => {
    const d = await deploy(serve.url, 'tests/e2e/handlers/no-fetch.ts', args('bad'));
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('previous version keeps serving');
    expect(d.stderr).toMatch(/fetch/);
    expect(await version()).toBe('1');
  });

  it('answers the registry reason when a model does not exist', async () => {
    const d = await deploy(serve.url, 'tests/e2e/handlers/infer.ts', ['--name', 'svc', '--route', '/svc/*', '--model', 'nope@1.0.0']);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain("model 'nope@1.0.0'");
    expect(await version()).toBe('1');
  });

  it("prints esbuild's error and uploads nothing when the handler does not bundle", async () => {
    const d = await deploy(serve.url, 'tests/e2e/handlers/syntax-error.js', args('broken'));
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('syntax-error.js:');
    const list = await cli(['handlers', '--edge', serve.url]);
    expect(list.stdout).toMatch(/svc\s+1\s+ready/);
  });

  it('refuses a route another deployment owns', async () => {
    const d = await deploy(serve.url, 'tests/e2e/handlers/infer.ts', ['--name', 'thief', '--route', '/svc/*']);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain("deployment 'svc'");
  });

  it('deploys version 2, then rolls back to 1', async () => {
    const d = await deploy(serve.url, 'tests/e2e/handlers/infer.ts', args('2'));
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain('deployed svc version 2');
    expect(await version()).toBe('2');
    const r = await cli(['rollback', 'svc', '--edge', serve.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('rolled back svc to version 1');
    expect(await version()).toBe('1');
    const again = await cli(['rollback', 'svc', '--edge', serve.url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no previous version');
  });

  it('needs the token to change anything', async () => {
    const d = await cli(['undeploy', 'svc', '--edge', serve.url], { EDGENN_TOKEN: 'wrong' });
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('unauthorized');
    expect(await version()).toBe('1');
  });

  it('undeploys', async () => {
    const d = await cli(['undeploy', 'svc', '--edge', serve.url]);
    expect(d.code, d.stderr).toBe(0);
    expect(await version()).toBe('HTTP 404');
    const list = await cli(['handlers', '--edge', serve.url]);
    expect(list.stdout).toContain('no handlers deployed');
  });
});
