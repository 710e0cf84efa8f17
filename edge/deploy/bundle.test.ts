// Bundling a handler: one ES module with its npm imports inlined; esbuild's own text on failure;
// Node built-ins refused unless the manifest asks for nodejs_compat.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../paths.ts';
import { bundleHandler } from './bundle.ts';
import { EdgennError } from '../../wit/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgenn-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function failure(p: Promise<unknown>): Promise<EdgennError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EdgennError);
  return err as EdgennError;
}

describe('bundleHandler', () => {
  it('inlines hono into one ES module with a default export', async () => {
    const { code } = await bundleHandler(join(projectRoot, 'tests/e2e/handlers/infer.ts'));
    expect(code).toMatch(/export\s*\{[^}]*as default/);
    expect(code).toMatch(/\bHono\s*=\s*class\b/);
    expect(code).not.toMatch(/^\s*import\s/m);
  });

  it("returns esbuild's own error text", async () => {
    const err = await failure(bundleHandler(file('broken.ts', 'export default { fetch( {\n')));
    expect(err.code).toBe('invalid-argument');
    expect(err.message).toContain('broken.ts:');
    expect(err.message).toMatch(/ERROR|error/);
  });

  it('names a package it cannot resolve', async () => {
    const err = await failure(bundleHandler(file('missing.js', "import x from 'no-such-package-edgenn';\nexport default { fetch() { return new Response(x) } };\n")));
    expect(err.message).toContain('no-such-package-edgenn');
  });

  it('refuses Node built-ins without nodejs_compat and keeps them external with it', async () => {
    const p = file('fs.js', "import { readFileSync } from 'node:fs';\nexport default { fetch() { return new Response(String(readFileSync)) } };\n");
    const err = await failure(bundleHandler(p));
    expect(err.message).toContain('--compat-flag nodejs_compat');
    const { code } = await bundleHandler(p, { compatibilityFlags: ['nodejs_compat'] });
    expect(code).toMatch(/from\s*["']node:fs["']/);
  });
});
