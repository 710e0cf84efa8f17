// Semver precedence, as `latest` uses it, follows the example order in the semver 2.0.0 spec.
import { describe, expect, it } from 'vitest';
import { compareSemver, parseRef } from './manifest.ts';

describe('compareSemver', () => {
  it('orders versions as semver.org §11 does', () => {
    const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.2.0', '1.10.0', '2.0.0'];
    expect([...ordered].reverse().sort(compareSemver)).toEqual(ordered);
    for (let i = 1; i < ordered.length; i++) expect(compareSemver(ordered[i - 1]!, ordered[i]!)).toBeLessThan(0);
    expect(compareSemver('1.0.0+build.1', '1.0.0+build.2')).toBe(0);
  });
});

describe('parseRef', () => {
  it('tells versions from aliases', () => {
    expect(parseRef('m')).toEqual({ name: 'm' });
    expect(parseRef('m@1.2.3')).toEqual({ name: 'm', version: '1.2.3' });
    expect(parseRef('m@stable')).toEqual({ name: 'm', alias: 'stable' });
    expect(parseRef('../m')).toBeUndefined();
    expect(parseRef('m@')).toBeUndefined();
  });
});
