// Property tests (fast-check, seeded, bounded) for model names, versions, aliases and refs: nothing
// the validators accept can carry a path ('/', '..'), uppercase in a name, or non-ASCII, and
// everything parseRef accepts round-trips through formatRef. The store's checks agree with the regexes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EdgennError } from '../../wit/errors.ts';
import { ALIAS_RE, NAME_RE, SEMVER_RE, formatRef, parseRef } from '../../registry/manifest.ts';
import { checkAlias, checkName, checkVersion } from '../../registry/oci-layout-store.ts';

const SEED = 0x7a3e;
const RUNS = 2000;

// An alphabet where valid strings are common and every dangerous character appears: path
// separators, dots, '%', case, look-alikes (Cyrillic 'а', 'е', fullwidth 'ａ'), NUL, space, '@', '+'.
const CHARS = [...'abcxyz0129-', ...'.-', '/', '\\', '%', '@', '+', 'A', 'Z', ' ', '\0', '\u0430', '\u0435', '\uff41', '\u00e9', '_', ':'];
const arbText = (max: number) =>
  fc.oneof(
    fc.array(fc.constantFrom(...CHARS), { maxLength: max }).map((a) => a.join('')),
    fc.string({ unit: 'binary', maxLength: max }),
    fc.constantFrom('..', '../x', '%2e%2e', 'a/../b', 'a'.repeat(63), 'a'.repeat(64), '', '1.0.0', '1.0.0-rc.1', '1.0.0+build.5', 'latest', 'stable'),
  );
const arbSemverish = fc
  .tuple(fc.nat({ max: 20 }), fc.nat({ max: 20 }), fc.nat({ max: 20 }), fc.option(arbText(12)), fc.option(arbText(8)))
  .map(([a, b, c, pre, build]) => `${a}.${b}.${c}${pre !== null ? `-${pre}` : ''}${build !== null ? `+${build}` : ''}`);

const ascii = (s: string) => /^[\x21-\x7e]*$/.test(s);
function safe(s: string, { allowUpper }: { allowUpper: boolean }): void {
  expect(s).not.toContain('/');
  expect(s).not.toContain('\\');
  expect(s).not.toContain('..');
  expect(s).not.toContain('%');
  expect(ascii(s), JSON.stringify(s)).toBe(true);
  if (!allowUpper) expect(s).toBe(s.toLowerCase());
}

/** true when `check` accepts; an EdgennError invalid-argument when it refuses; anything else fails. */
function accepts(check: (s: string) => void, s: string): boolean {
  try {
    check(s);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(EdgennError);
    expect((err as EdgennError).code).toBe('invalid-argument');
    expect((err as EdgennError).status).toBe(400);
    return false;
  }
}

describe('names', () => {
  it('checkName accepts exactly NAME_RE, and nothing it accepts is a path, uppercase or non-ASCII', () => {
    fc.assert(
      fc.property(arbText(80), (s) => {
        const ok = accepts(checkName, s);
        expect(ok).toBe(NAME_RE.test(s));
        if (ok) {
          safe(s, { allowUpper: false });
          expect(s.length).toBeGreaterThanOrEqual(1);
          expect(s.length).toBeLessThanOrEqual(63);
          expect(s.startsWith('-') || s.endsWith('-')).toBe(false);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('a refused name is quoted, cut to a readable length, in the message', () => {
    fc.assert(
      fc.property(arbText(400).filter((s) => !NAME_RE.test(s)), (s) => {
        try {
          checkName(s);
        } catch (err) {
          expect((err as Error).message).toContain('lowercase DNS label');
          expect((err as Error).message.length).toBeLessThan(400);
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('versions and aliases', () => {
  it('checkVersion accepts only semver of at most 128 characters, never a path or non-ASCII', () => {
    fc.assert(
      fc.property(fc.oneof(arbText(40), arbSemverish), (s) => {
        const ok = accepts(checkVersion, s);
        expect(ok).toBe(SEMVER_RE.test(s) && s.length <= 128);
        if (ok) safe(s, { allowUpper: true });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("checkAlias accepts only ALIAS_RE (never 'latest'), never a path, uppercase or non-ASCII", () => {
    fc.assert(
      fc.property(arbText(70), (s) => {
        const ok = accepts(checkAlias, s);
        expect(ok).toBe(ALIAS_RE.test(s) && s !== 'latest');
        if (ok) safe(s, { allowUpper: false });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('refs', () => {
  const arbRef = fc.oneof(
    arbText(60),
    fc.tuple(arbText(20), fc.oneof(arbSemverish, arbText(20))).map(([n, s]) => `${n}@${s}`),
    fc.tuple(fc.constantFrom('m', 'ocr-rec', 'a1'), fc.oneof(arbSemverish, arbText(10))).map(([n, s]) => `${n}@${s}`),
  );

  it('everything parseRef accepts is safe and round-trips through formatRef', () => {
    fc.assert(
      fc.property(arbRef, (s) => {
        const ref = parseRef(s);
        if (!ref) return;
        safe(ref.name, { allowUpper: false });
        expect(NAME_RE.test(ref.name)).toBe(true);
        expect(ref.version === undefined || ref.alias === undefined).toBe(true);
        if (ref.version !== undefined) {
          safe(ref.version, { allowUpper: true });
          expect(() => checkVersion(ref.version!)).not.toThrow();
        }
        if (ref.alias !== undefined) safe(ref.alias, { allowUpper: false });
        expect(formatRef(ref)).toBe(s);
        expect(parseRef(formatRef(ref))).toEqual(ref);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('formatRef of valid parts always parses back to the same parts', () => {
    const arbName = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/);
    const arbAlias = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
    fc.assert(
      fc.property(arbName, fc.option(fc.oneof(arbSemverish.filter((v) => SEMVER_RE.test(v) && v.length <= 128).map((version) => ({ version })), arbAlias.map((alias) => ({ alias })))), (name, sel) => {
        const ref = { name, ...(sel ?? {}) };
        // An alias that looks like semver cannot exist (ALIAS_RE starts with a letter), so parts map 1:1.
        expect(parseRef(formatRef(ref))).toEqual(ref);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});
