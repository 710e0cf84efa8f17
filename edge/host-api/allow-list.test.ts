import { describe, expect, it } from 'vitest';
import { EdgennError } from '../../wit/errors.ts';
import { resolveAllowed } from './allow-list.ts';

function refusal(call: unknown, allowed: string[]): EdgennError {
  try {
    resolveAllowed(call, allowed);
  } catch (err) {
    return err as EdgennError;
  }
  throw new Error(`expected ${String(call)} to be refused`);
}

describe('resolveAllowed', () => {
  it('accepts an exact ref and a bare name of exactly one listed ref', () => {
    expect(resolveAllowed('ocr@stable', ['ocr@stable', 'add'])).toBe('ocr@stable');
    expect(resolveAllowed('ocr', ['ocr@stable', 'add'])).toBe('ocr@stable');
    expect(resolveAllowed('add', ['ocr@stable', 'add'])).toBe('add');
  });

  it('refuses other versions and unlisted names with `security`, naming the key to add', () => {
    const e = refusal('ocr@2.0.0', ['ocr@stable']);
    expect(e.code).toBe('security');
    expect(e.message).toContain("add 'ocr@2.0.0' to `models` in the handler manifest (edgenn deploy --model ocr@2.0.0)");
    expect(refusal('other', ['ocr@stable']).code).toBe('security');
  });

  it('refuses a bare name that matches several listed refs', () => {
    const e = refusal('ocr', ['ocr@1.0.0', 'ocr@stable']);
    expect(e.code).toBe('security');
    expect(e.message).toContain("'ocr@1.0.0', 'ocr@stable'");
  });

  it('refuses non-strings as invalid-argument', () => {
    expect(refusal(42, ['ocr']).code).toBe('invalid-argument');
  });
});
