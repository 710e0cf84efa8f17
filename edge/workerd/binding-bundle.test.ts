import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { distEntry } from '../paths.ts';

// workerd embeds the binding as ONE internal module: an import of a shared chunk or of a Node
// built-in would fail inside every deployment process.
describe('the env.AI binding bundle', () => {
  it('is one self-contained ES module with a default export', () => {
    const source = readFileSync(distEntry('edge/workerd/binding.ts'), 'utf8');
    expect(source).not.toMatch(/^\s*import\s/m);
    expect(source).not.toMatch(/\bimport\(|require\(|["']node:/);
    expect(source).toMatch(/as default/);
  });
});
