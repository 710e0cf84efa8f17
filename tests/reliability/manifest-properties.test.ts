// Property tests (fast-check, seeded, bounded) for the deployment manifest validator: any JSON is
// either refused with a 400 naming what to fix, or accepted as a manifest whose name, routes, model
// refs and vars are all safe — no reserved platform path, no path escape, no shadowed binding — and
// validating an accepted manifest again gives it back unchanged.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EdgennError } from '../../wit/errors.ts';
import { NAME_RE, parseRef } from '../../registry/manifest.ts';
import { validateManifest } from '../../edge/deploy/manifest.ts';
import { isReservedPath } from '../../edge/app.ts';
import type { DeploymentManifest } from '../../edge/contracts.ts';

const SEED = 0xde9107;
const RUNS = 1500;

const SEGMENTS = ['v1', 'v2', 'V1', 'healthz', 'metrics', 'models', 'modelsx', 'api', 'classify', 'api', 'classify', 'ok-1', '.', '..', '%2e%2e', 'a b', '*', '', '\u0430'];
const hostilePattern = fc.oneof(
  fc.array(fc.constantFrom(...SEGMENTS), { minLength: 0, maxLength: 4 }).map((s) => `/${s.join('/')}`),
  fc.constantFrom('/', '/*', '/v1/*', '/healthz', '/metrics', '/models/*', '/models', 'api', '//x', '/api/*/x', '/..', '/a/../v1/*', '/./x'),
  fc.string({ maxLength: 12 }),
);
const safePattern = fc
  .tuple(fc.array(fc.constantFrom('api', 'classify', 'ok-1', 'x.y', 'V1', 'modelsx', 'v10'), { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([segs, wild]) => `/${segs.join('/')}${wild ? '/*' : ''}`);
const arbPattern = fc.oneof({ weight: 3, arbitrary: safePattern }, { weight: 2, arbitrary: hostilePattern });
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: bad });
const arbRoute = fc.oneof(
  arbPattern,
  fc.record({ pattern: arbPattern, host: mostly(fc.constantFrom('example.com', 'EXAMPLE.com', 'edge.local'), fc.oneof(fc.constantFrom('a..b', '-x.com'), fc.string({ maxLength: 8 }))) }, { requiredKeys: ['pattern'] }),
  fc.tuple(fc.constantFrom('example.com', 'edge.local'), arbPattern).map(([h, p]) => `${h}${p}`),
);
const arbRef = mostly(fc.constantFrom('adder', 'adder@1.0.0', 'ocr@stable', 'cls@latest', 'vad@2.0.0-rc.1'), fc.oneof(fc.constantFrom('Adder', '../x', 'a@', 'a@1.0'), fc.string({ maxLength: 10 })));
const arbManifest = fc.record(
  {
    name: mostly(fc.constantFrom('hello', 'ocr-demo', 'a1'), fc.oneof(fc.constantFrom('Hello', '../x', '', 'a'.repeat(64), 'h\u0435llo'), fc.string({ maxLength: 10 }))),
    routes: mostly(fc.array(arbRoute, { minLength: 1, maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
    models: mostly(fc.array(arbRef, { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
    limits: mostly(
      fc.record({ requestTimeoutMs: mostly(fc.integer({ min: 100, max: 300_000 }), fc.oneof(fc.integer({ min: -10, max: 400_000 }), fc.double())), memoryMb: mostly(fc.integer({ min: 16, max: 4096 }), fc.constantFrom(0, 5000, '128')) }, { requiredKeys: [] }),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    compatibilityDate: mostly(fc.constantFrom('2026-11-01', '2025-06-15'), fc.oneof(fc.constantFrom('2026-02-30', '2099-01-01', '2026-1-1'), fc.string({ maxLength: 10 }))),
    compatibilityFlags: mostly(fc.array(fc.constantFrom('nodejs_compat', 'streams_enable_constructors'), { maxLength: 2 }), fc.oneof(fc.array(fc.constantFrom('NODEJS', 'a b', '')), fc.jsonValue({ maxDepth: 1 }))),
    vars: mostly(
      fc.dictionary(fc.constantFrom('GREETING', 'MODE', '_x', 'TOKEN'), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
      fc.dictionary(fc.constantFrom('AI', '__proto__', 'constructor', 'x-y', '1A'), fc.oneof(fc.string({ maxLength: 6 }), fc.integer())),
    ),
    extra: fc.option(fc.jsonValue({ maxDepth: 1 }), { freq: 8 }),
  },
  { requiredKeys: [] },
);

/** The validator's contract: a manifest, or a 400 invalid-argument that says which key or flag to fix. */
function validateOrRefuse(raw: unknown): DeploymentManifest | undefined {
  try {
    return validateManifest(raw);
  } catch (err) {
    if (!(err instanceof EdgennError)) throw new Error(`validator threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    expect(err.code).toBe('invalid-argument');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/--[a-z-]+|manifest|key/);
    return undefined;
  }
}

function checkSafe(m: DeploymentManifest): void {
  expect(NAME_RE.test(m.name)).toBe(true);
  expect(m.routes.length).toBeGreaterThan(0);
  for (const r of m.routes) {
    const literal = r.pattern.endsWith('/*') ? r.pattern.slice(0, -2) || '/' : r.pattern;
    // No accepted route may claim a path the platform owns on the shared port.
    expect(isReservedPath(literal), r.pattern).toBe(false);
    expect(isReservedPath(`${literal}/x`.replace('//', '/')), r.pattern).toBe(false);
    expect(r.pattern).toMatch(/^\//);
    expect(r.pattern).not.toMatch(/[%\s\\]/);
    // A '.' or '..' segment is resolved away in every request URL: such a route could never match.
    expect(r.pattern.split('/').filter((seg) => seg === '.' || seg === '..')).toEqual([]);
    if (r.host !== undefined) expect(r.host).toBe(r.host.toLowerCase());
  }
  const names = m.models.map((ref) => parseRef(ref)?.name);
  expect(names.every((n) => n !== undefined)).toBe(true);
  expect(new Set(names).size).toBe(names.length);
  for (const k of Object.keys(m.vars)) {
    expect(k).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    expect(k).not.toBe('AI');
    expect(typeof m.vars[k]).toBe('string');
  }
}

describe('validateManifest', () => {
  it('refuses arbitrary JSON with a 400 that names the fix, never another error', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => void validateOrRefuse(v)), { seed: SEED, numRuns: RUNS });
  });

  it('accepts only safe manifests, and validating one again changes nothing', () => {
    let accepted = 0;
    fc.assert(
      fc.property(arbManifest, (raw) => {
        const { extra, ...rest } = raw as Record<string, unknown>;
        const input = extra === undefined || extra === null ? rest : raw;
        const m = validateOrRefuse(JSON.parse(JSON.stringify(input)));
        if (!m) return;
        accepted++;
        checkSafe(m);
        expect(validateManifest(JSON.parse(JSON.stringify(m)))).toEqual(m);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(`manifest property: ${accepted} of ${RUNS} generated manifests accepted`);
  });

  it('accepts a plain good manifest (the generators can reach acceptance)', () => {
    const m = validateManifest({ name: 'hello', routes: ['/hello/*', 'example.com/api'], models: ['adder', 'ocr@stable'], vars: { GREETING: 'hi' } });
    checkSafe(m);
    expect(m.routes).toEqual([{ pattern: '/hello/*' }, { pattern: '/api', host: 'example.com' }]);
  });
});
