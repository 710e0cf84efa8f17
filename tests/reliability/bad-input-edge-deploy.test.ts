// The edge admin API's bad-input corpus, against the real `edgenn serve`: broken handler bundles
// (syntax error, no default export, no fetch, a top-level throw or infinite loop, oversized, empty),
// hostile JSON and bad manifests, each posted raw to POST /v1/deployments. Each is a 4xx with a code
// and a message; version 1 keeps serving, and the deployment store, the workerd run dir and the set
// of running processes are the same before and after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TOKEN, processesMentioning, startServe, tempDataDir, type Serve } from '../e2e/serve-harness.ts';

const tmp = tempDataDir('rel-deploy');
const data = join(tmp.dir, 'data');
let serve: Serve;

const GOOD = 'export default { fetch(req, env) { return new Response(`v${env.VERSION}`); } };';
const manifest = (over: Record<string, unknown> = {}) => ({ name: 'svc', routes: ['/svc/*'], models: [], vars: { VERSION: '2' }, ...over });
const deployBody = (module: string, m: unknown = manifest()) => JSON.stringify({ manifest: m, module });

async function post(body: string | Uint8Array): Promise<{ status: number; body: any }> {
  const res = await fetch(`${serve.url}/v1/deployments`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: { raw: text } };
  }
}

/** Every file under `dir` with its sha256 (a refused deploy must leave no staged version or temp file). */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[p.slice(dir.length)] = e.isFile() ? createHash('sha256').update(await readFile(p)).digest('hex') : `(${(await stat(p)).mode.toString(8)})`;
    }
  };
  await walk(dir);
  return out;
}

async function state() {
  const list = await (await fetch(`${serve.url}/v1/deployments`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
  return { store: await tree(join(data, 'deployments')), run: (await readdir(join(data, 'run', 'workerd')).catch(() => [])).sort(), list, procs: (await processesMentioning(data)).length };
}

async function serving(): Promise<string> {
  const res = await fetch(`${serve.url}/svc/x`);
  return `${res.status} ${await res.text()}`;
}

beforeAll(async () => {
  serve = await startServe(data, ['--no-model-host']);
  const r = await post(deployBody(GOOD, manifest({ vars: { VERSION: '1' } })));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(await serving()).toBe('200 v1');
}, 120_000);
afterAll(async () => {
  await serve?.stop();
  tmp.remove();
});

interface Case {
  label: string;
  body: string | Uint8Array;
  status: number;
  code: string;
  hint: RegExp;
}

const bundles: Case[] = [
  { label: 'a syntax error', body: deployBody('export default { fetch( { }'), status: 400, code: 'invalid-argument', hint: /SyntaxError/ },
  { label: 'no default export', body: deployBody('export const fetch = () => new Response("x");'), status: 400, code: 'invalid-argument', hint: /no default export/ },
  { label: 'a default export without fetch', body: deployBody('export default { hello: "world" };'), status: 400, code: 'invalid-argument', hint: /fetch/ },
  { label: 'a top-level throw', body: deployBody('throw new Error("set API_KEY first");'), status: 400, code: 'invalid-argument', hint: /set API_KEY first/ },
  { label: 'a top-level infinite loop', body: deployBody(`while (true) {}\n${GOOD}`), status: 400, code: 'invalid-argument', hint: /did not finish loading within/ },
  { label: 'an import of a module that is not there', body: deployBody(`import x from "./missing.js";\n${GOOD}`), status: 400, code: 'invalid-argument', hint: /missing/ },
  { label: 'an empty module', body: deployBody(''), status: 400, code: 'invalid-argument', hint: /"module"/ },
  { label: 'an oversized bundle (17 MiB)', body: deployBody(`${GOOD}\n//${'x'.repeat(17 * 1024 * 1024)}`), status: 413, code: 'too-large', hint: /larger than the configured limit/ },
];

const json: Case[] = [
  { label: 'invalid JSON', body: '{"manifest":', status: 400, code: 'invalid-argument', hint: /must be JSON/ },
  { label: 'a top-level array', body: '[]', status: 400, code: 'invalid-argument', hint: /"module"/ },
  { label: 'top-level null', body: 'null', status: 400, code: 'invalid-argument', hint: /"module"/ },
  { label: 'a manifest nested 10 000 levels', body: `{"module":${JSON.stringify(GOOD)},"manifest":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, status: 400, code: 'invalid-argument', hint: /manifest must be a JSON object/ },
  { label: 'a huge number (1e400) as a limit', body: deployBody(GOOD).replace('"models":[]', '"models":[],"limits":{"requestTimeoutMs":1e400}'), status: 400, code: 'invalid-argument', hint: /limits\.requestTimeoutMs.*--timeout-ms/ },
];

const manifests: Case[] = [
  { label: "the name '../x'", body: deployBody(GOOD, manifest({ name: '../x' })), status: 400, code: 'invalid-argument', hint: /--name/ },
  { label: 'a Cyrillic look-alike name', body: deployBody(GOOD, manifest({ name: 's\u0432c' })), status: 400, code: 'invalid-argument', hint: /--name/ },
  { label: 'a 300-character name', body: deployBody(GOOD, manifest({ name: 'a'.repeat(300) })), status: 400, code: 'invalid-argument', hint: /--name/ },
  { label: 'an empty name', body: deployBody(GOOD, manifest({ name: '' })), status: 400, code: 'invalid-argument', hint: /--name/ },
  { label: 'a route on the reserved /v1', body: deployBody(GOOD, manifest({ routes: ['/v1/*'] })), status: 400, code: 'invalid-argument', hint: /reserved/ },
  { label: "a route '/..'", body: deployBody(GOOD, manifest({ routes: ['/..'] })), status: 400, code: 'invalid-argument', hint: /'\.\.' segment/ },
  { label: 'a var shadowing env.AI', body: deployBody(GOOD, manifest({ vars: { AI: 'x' } })), status: 400, code: 'invalid-argument', hint: /reserved for the inference binding/ },
  { label: "a model ref '../x'", body: deployBody(GOOD, manifest({ models: ['../x'] })), status: 400, code: 'invalid-argument', hint: /--model/ },
  { label: 'a model that does not exist', body: deployBody(GOOD, manifest({ models: ['nope@1.0.0'] })), status: 404, code: 'not-found', hint: /nope/ },
  { label: 'an unknown manifest key', body: deployBody(GOOD, manifest({ secrets: { A: 'b' } })), status: 400, code: 'invalid-argument', hint: /unknown manifest key 'secrets'/ },
];

describe.each([
  ['handler bundles', bundles],
  ['JSON bodies', json],
  ['manifests', manifests],
] as const)('bad %s', (_group, cases) => {
  it.each(cases.map((c) => [c.label, c] as const))(
    'refuses %s with a 4xx; version 1 keeps serving and nothing is left behind',
    async (_label, c) => {
      const before = await state();
      const r = await post(c.body);
      expect(r.status, JSON.stringify(r.body).slice(0, 400)).toBe(c.status);
      expect(r.body.error.code).toBe(c.code);
      expect(r.body.error.retryable).toBe(false);
      expect(r.body.error.message).toMatch(c.hint);
      expect(await serving()).toBe('200 v1');
      expect(await state()).toEqual(before);
    },
    30_000,
  );
});

it('still deploys a good version 2 after the whole corpus', async () => {
  const r = await post(deployBody(GOOD));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(await serving()).toBe('200 v2');
});
