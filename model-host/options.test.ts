import { describe, expect, it } from 'vitest';
import { batchingFrom, defaultIntraOpThreads, intraOpThreadsFrom, parseBytes, preloadFrom } from './options.ts';

describe('model-host flags', () => {
  it('reads memory sizes in binary and decimal units', () => {
    expect(parseBytes('8GiB')).toBe(8 * 1024 ** 3);
    expect(parseBytes('512 MiB')).toBe(512 * 1024 ** 2);
    expect(parseBytes('2GB')).toBe(2e9);
    expect(parseBytes('1.5gib')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('1073741824')).toBe(1073741824);
    for (const bad of ['', 'lots', '8 parsecs', '-1GiB', '0']) expect(() => parseBytes(bad)).toThrow(/not a size/);
  });

  it('reads batching flags, leaving the rest to the engine defaults, and refuses nonsense', () => {
    expect(batchingFrom({})).toEqual({});
    expect(batchingFrom({ 'batch-max': '16', 'batch-delay-us': '0', 'queue-max': '32' })).toEqual({ maxBatchSize: 16, maxQueueDelayUs: 0, maxQueue: 32 });
    expect(() => batchingFrom({ 'batch-max': '0' })).toThrow(/--batch-max/);
    expect(() => batchingFrom({ 'queue-max': '1.5' })).toThrow(/--queue-max/);
  });

  it('reads --intra-op-threads, defaulting to half the cores and at least 1', () => {
    expect(intraOpThreadsFrom({ 'intra-op-threads': '3' }, 2)).toBe(3);
    expect(intraOpThreadsFrom({}, 2)).toBe(1);
    expect(intraOpThreadsFrom({}, 16)).toBe(8);
    expect(defaultIntraOpThreads(1)).toBe(1);
    expect(() => intraOpThreadsFrom({ 'intra-op-threads': '0' })).toThrow(/--intra-op-threads/);
  });

  it('splits repeated and comma-separated preload refs', () => {
    expect(preloadFrom({ preload: ['a,b@1.0.0', ' c@stable '] })).toEqual(['a', 'b@1.0.0', 'c@stable']);
    expect(preloadFrom({})).toEqual([]);
  });
});
