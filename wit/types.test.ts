// Fails when wit/*.wit and the TypeScript mirror in wit/types.ts drift apart.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, TENSOR_TYPES } from './types.ts';

const dir = new URL('.', import.meta.url).pathname;
const wit = readdirSync(dir)
  .filter((f) => f.endsWith('.wit'))
  .map((f) => readFileSync(join(dir, f), 'utf8').replace(/\/\/.*$/gm, ''))
  .join('\n');
const ts = readFileSync(join(dir, 'types.ts'), 'utf8');

function enumCases(name: string): string[] {
  const m = wit.match(new RegExp(`enum\\s+${name}\\s*\\{([^}]*)\\}`));
  if (!m) throw new Error(`enum ${name} not found in wit/`);
  return m[1]!.split(',').map((s) => s.trim().replace(/^%/, '')).filter(Boolean);
}

function resourceFuncs(name: string): string[] {
  const m = wit.match(new RegExp(`resource\\s+${name}\\s*\\{([^}]*)\\}`));
  if (!m) throw new Error(`resource ${name} not found in wit/`);
  return [...m[1]!.matchAll(/([a-z][a-z0-9-]*)\s*:\s*func/g)].map((x) => x[1]!);
}

const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function tsInterface(name: string): string {
  const m = ts.match(new RegExp(`export interface ${name}(?:<[^>]*>)?(?: extends [^{]+)?\\s*\\{([\\s\\S]*?)\\n\\}`));
  if (!m) throw new Error(`interface ${name} not found in wit/types.ts`);
  return m[1]!;
}

describe('wit/ and wit/types.ts agree', () => {
  it('error-code cases match ErrorCode', () => {
    expect([...ERROR_CODES]).toEqual(enumCases('error-code'));
    for (const c of ERROR_CODES) expect(ts).toContain(`| '${c}'`);
  });

  it('tensor-type cases match TensorType', () => {
    expect([...TENSOR_TYPES]).toEqual(enumCases('tensor-type'));
    for (const t of TENSOR_TYPES) expect(tsInterface('TensorDataOf')).toContain(`${t}:`);
  });

  it('every WIT resource method has its camelCase twin', () => {
    const pairs: [string, string][] = [
      ['graph', 'Graph'],
      ['graph-execution-context', 'GraphExecutionContext'],
      ['error', 'InferenceError'],
    ];
    for (const [res, iface] of pairs) {
      const body = tsInterface(iface);
      for (const f of resourceFuncs(res)) {
        // `error.code` / `error.data` are properties in TS; methods are methods.
        expect(body, `${iface} mirrors ${res}.${f}`).toMatch(new RegExp(`\\b${camel(f)}\\??[(:]`));
      }
    }
  });

  it('load-by-name is on the binding', () => {
    expect(wit).toMatch(/load-by-name\s*:\s*func\(name: string\)/);
    expect(tsInterface('Ai')).toMatch(/loadByName\(name: string\)/);
  });
});
