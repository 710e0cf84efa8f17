// A handler deployed through the real `edgenn serve` cannot get at the admin token: whatever it
// dumps — env, env.AI's surface and errors, globals, `process.env` under nodejs_compat, the headers
// it receives, loopback fetches to the admin API, node:fs on the token file — never contains it.
// And no child process (workerd, model-host) carries it in its environment.
// (The workerd helper's hostile-tenant suite covers the escape probes themselves.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TOKEN, processesMentioning, startServe, tempDataDir, waitReady, type Serve } from '../e2e/serve-harness.ts';
import { addModel } from '../fixtures/onnx-models.ts';

const tmp = tempDataDir('rel-token');
const data = join(tmp.dir, 'data');
let serve: Serve;

const SNOOP = `
const tryIt = (f) => { try { return f(); } catch (e) { return 'threw: ' + (e && e.message); } };
const tryAsync = async (f) => { try { return await f(); } catch (e) { return 'threw: ' + (e && e.message) + ' ' + (e && e.code); } };
export default {
  async fetch(request, env) {
    const out = {};
    out.env = tryIt(() => JSON.stringify(env, (k, v) => (typeof v === 'function' ? 'fn:' + String(v) : v)));
    out.envKeys = tryIt(() => Reflect.ownKeys(env).map(String));
    out.ai = tryIt(() => { const names = []; for (let o = env.AI; o; o = Object.getPrototypeOf(o)) names.push(...Reflect.ownKeys(o).map(String)); return names; });
    out.aiRun = tryIt(() => String(env.AI.run));
    out.headers = [...request.headers];
    out.process = tryIt(() => (typeof process === 'undefined' ? null : JSON.stringify({ env: process.env, argv: process.argv })));
    out.globals = tryIt(() => Object.getOwnPropertyNames(globalThis));
    out.aiNotAllowed = await tryAsync(() => env.AI.run('not-in-manifest', {}));
    out.aiBadInput = await tryAsync(() => env.AI.run('tiny', { x: { type: 'FP32', dims: [9], data: new Float32Array(9) } }));
    out.aiOk = await tryAsync(async () => Array.from((await env.AI.run('tiny', { x: { type: 'FP32', dims: [1, 4], data: new Float32Array(4) } })).y.data));
    out.adminList = await tryAsync(async () => (await fetch(env.EDGE + '/v1/deployments')).text());
    out.adminDelete = await tryAsync(async () => (await fetch(env.EDGE + '/v1/deployments/snoop', { method: 'DELETE' })).text());
    out.fsToken = await tryAsync(async () => (await import('node:fs')).readFileSync(env.TOKEN_PATH, 'utf8'));
    out.environ = await tryAsync(async () => (await import('node:fs')).readFileSync('/proc/self/environ', 'utf8'));
    return Response.json(out);
  },
};`;

async function deploy(name: string, flags: string[]): Promise<void> {
  const res = await fetch(`${serve.url}/v1/deployments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      manifest: { name, routes: [`/${name}/*`], models: ['tiny'], compatibilityFlags: flags, vars: { EDGE: serve.url, TOKEN_PATH: join(data, 'token') } },
      module: SNOOP,
    }),
  });
  expect(res.status, await res.text()).toBe(201);
}

beforeAll(async () => {
  serve = await startServe(data, ['--no-model-host']);
  const pub = await fetch(`${serve.url}/v1/models/tiny/versions/1.0.0?placement=cpu`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}` }, body: addModel() });
  expect(pub.status).toBe(201);
  await deploy('snoop', []);
  await deploy('snoop-compat', ['nodejs_compat']);
  await waitReady(serve.url);
}, 120_000);
afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

it.each(['snoop', 'snoop-compat'])('%s sees no trace of the admin token in anything it can reach', async (name) => {
  const res = await fetch(`${serve.url}/${name}/x`, { headers: { 'x-client': 'plain user' } });
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBe(200);
  const seen = JSON.parse(text) as Record<string, unknown>;
  if (process.env.EDGENN_TEST_LOGS) console.log(name, JSON.stringify({ ...seen, globals: undefined }).slice(0, 3000));
  // The probes ran (so "no token" is not just "nothing ran").
  expect(seen.aiOk).toEqual([1, 1, 1, 1]);
  expect(String(seen.aiNotAllowed)).toMatch(/threw/);
  expect(seen.envKeys).toEqual(expect.arrayContaining(['AI', 'EDGE', 'TOKEN_PATH']));
  expect(String(seen.adminDelete)).not.toMatch(/^$/);
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain('EDGENN_TOKEN');
  expect((await fetch(`${serve.url}/${name}/x`)).status).toBe(200); // and the DELETE probe did nothing
});

it('no child process of edgenn serve carries the token in its environment', async () => {
  const procs = await processesMentioning(data);
  const children = procs.filter((p) => !p.includes(' serve --data'));
  expect(children.length).toBeGreaterThanOrEqual(2); // the two workerd processes at least
  for (const p of children) {
    const pid = p.split(':')[0]!;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    expect(environ, p.slice(0, 120)).not.toContain(TOKEN);
  }
});
