// Range parsing for blob downloads: the three forms of `bytes=` and what cannot be served.
import { describe, expect, it } from 'vitest';
import { parseRange } from './app.ts';

describe('parseRange', () => {
  it('reads a-b, a- and -n, clamping the end to the blob', () => {
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=50-', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-1000', 100)).toEqual({ start: 0, end: 99 });
  });

  it('marks ranges it cannot serve', () => {
    for (const h of ['bytes=100-', 'bytes=5-4', 'bytes=-0', 'bytes=-', 'items=0-1', 'bytes=0-1,5-6']) expect(parseRange(h, 100), h).toBe('unsatisfiable');
  });
});
