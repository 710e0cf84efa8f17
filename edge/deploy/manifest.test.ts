// Manifest validation: defaults filled, bad input refused with the key and flag to fix, reserved
// paths and other deployments' routes refused, and route matching picks the most specific route.
import { describe, expect, it } from 'vitest';
import { EdgennError } from '../../wit/errors.ts';
import {
  DEFAULT_COMPAT_DATE,
  checkRouteConflicts,
  compareRoutes,
  compileRoute,
  routeMatches,
  splitRoute,
  validateManifest,
} from './manifest.ts';

function refused(raw: unknown): EdgennError {
  try {
    validateManifest(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(EdgennError);
    return err as EdgennError;
  }
  throw new Error('expected the manifest to be refused');
}

const base = { name: 'classify', routes: ['/classify/*'], models: ['ocr-cls@stable'] };

describe('validateManifest', () => {
  it('fills defaults', () => {
    const m = validateManifest(base);
    expect(m).toEqual({
      name: 'classify',
      routes: [{ pattern: '/classify/*' }],
      models: ['ocr-cls@stable'],
      limits: { requestTimeoutMs: 30_000, memoryMb: 128 },
      compatibilityDate: DEFAULT_COMPAT_DATE,
      compatibilityFlags: [],
      vars: {},
    });
  });

  it('keeps host-bound routes, flags and vars', () => {
    const m = validateManifest({
      ...base,
      routes: [{ pattern: '/a', host: 'API.example.com' }, 'b.example.com/*'],
      compatibilityFlags: ['nodejs_compat', 'nodejs_compat'],
      vars: { GREETING: 'hi' },
      limits: { requestTimeoutMs: 500 },
    });
    expect(m.routes).toEqual([{ pattern: '/a', host: 'api.example.com' }, { pattern: '/*', host: 'b.example.com' }]);
    expect(m.compatibilityFlags).toEqual(['nodejs_compat']);
    expect(m.vars).toEqual({ GREETING: 'hi' });
    expect(m.limits).toEqual({ requestTimeoutMs: 500, memoryMb: 128 });
  });

  it.each([
    [{ ...base, name: 'Bad_Name' }, /name .*--name/],
    [{ ...base, routes: [] }, /routes must list .*--route/],
    [{ ...base, routes: ['classify'] }, /routes\[0\]\.pattern 'classify' must look like/],
    [{ ...base, routes: ['/v1/deployments'] }, /reserved/],
    [{ ...base, routes: ['/'] }, /reserved/],
    [{ ...base, routes: ['/models/*'] }, /reserved/],
    [{ ...base, routes: ['/healthz/x'] }, /reserved/],
    [{ ...base, routes: ['/metrics'] }, /reserved/],
    [{ ...base, routes: ['/v2/*'] }, /reserved/],
    [{ ...base, routes: ['/*'] }, /every path/],
    [{ ...base, routes: ['/a', '/a'] }, /listed twice/],
    [{ ...base, models: ['Not A Ref'] }, /models\[0\] 'Not A Ref' .*--model/],
    [{ ...base, models: ['a@1.0.0', 'a@stable'] }, /a second time/],
    [{ ...base, limits: { requestTimeoutMs: 10 } }, /limits\.requestTimeoutMs .*--timeout-ms/],
    [{ ...base, limits: { memoryMb: 1e6 } }, /limits\.memoryMb .*--memory-mb/],
    [{ ...base, compatibilityDate: '2026-13-45' }, /compatibilityDate .*--compat-date/],
    [{ ...base, compatibilityDate: '2099-01-01' }, /newer than this workerd/],
    [{ ...base, compatibilityFlags: ['no spaces'] }, /--compat-flag/],
    [{ ...base, vars: { AI: 'x' } }, /reserved for the inference binding/],
    [{ ...base, vars: { X: 1 } }, /vars\.X must be a string/],
    [{ ...base, extra: 1 }, /unknown manifest key 'extra'/],
  ])('refuses %j', (raw, message) => {
    const err = refused(raw);
    expect(err.code).toBe('invalid-argument');
    expect(err.message).toMatch(message);
  });
});

describe('routes', () => {
  it('refuses a route another deployment owns, naming it', () => {
    const mine = validateManifest(base);
    const theirs = validateManifest({ ...base, name: 'other', routes: ['/x', '/classify/*'] });
    let err: unknown;
    try {
      checkRouteConflicts(mine, [theirs]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EdgennError);
    expect((err as EdgennError).code).toBe('conflict');
    expect((err as EdgennError).message).toContain("'other'");
    // Its own earlier version never conflicts.
    expect(() => checkRouteConflicts(mine, [{ ...mine }])).not.toThrow();
  });

  it('matches the most specific route first', () => {
    const routes = [
      compileRoute({ pattern: '/a/*' }, 'wild'),
      compileRoute({ pattern: '/a/b' }, 'exact'),
      compileRoute(splitRoute('h.example/*'), 'host'),
      compileRoute({ pattern: '/a/b/*' }, 'longer'),
    ].sort(compareRoutes);
    const pick = (host: string, path: string) => routes.find((r) => routeMatches(r, host, path))?.target;
    expect(pick('x', '/a/b')).toBe('exact');
    expect(pick('x', '/a/b/c')).toBe('longer');
    expect(pick('x', '/a')).toBe('wild');
    expect(pick('x', '/a/zzz')).toBe('wild');
    expect(pick('x', '/ab')).toBeUndefined();
    expect(pick('h.example', '/a/b')).toBe('host');
  });
});
