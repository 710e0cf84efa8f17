// createRegistry's app mounts inside another Hono app (as `edgenn serve` does) without touching
// the paths it does not own: other `/v1/*` routes (the edge's admin API) keep their own rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addModel } from '../tests/fixtures/onnx-models.ts';
import { createRegistry, type Registry } from './registry.ts';

let dir: string;
let registry: Registry;
let parent: Hono;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgenn-mount-'));
  registry = await createRegistry({ dataDir: dir, token: 'mount-token' });
  parent = new Hono();
  parent.route('/', registry.app);
  parent.post('/v1/deployments', (c) => c.json({ deployed: true }));
});
afterAll(async () => {
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

describe('mounted registry app', () => {
  it('serves its API under /v1/models with its auth and error shape', async () => {
    const denied = await parent.request('/v1/models/mountcheck/versions/1.0.0', { method: 'PUT', body: addModel() });
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as any).error.code).toBe('unauthorized');
    const ok = await parent.request('/v1/models/mountcheck/versions/1.0.0', { method: 'PUT', body: addModel(), headers: { authorization: 'Bearer mount-token' } });
    expect(ok.status).toBe(201);
    const missing = await parent.request('/v1/models/nobody');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error).toMatchObject({ code: 'not-found', retryable: false });
    expect(missing.headers.get('x-request-id')).toBeTruthy();
  });

  it('serves the docs page and leaves other /v1 routes to their owners', async () => {
    const page = await parent.request('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('mountcheck');
    const other = await parent.request('/v1/deployments', { method: 'POST' });
    expect(other.status).toBe(200);
  });
});
