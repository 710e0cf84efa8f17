// The placement router: where a model runs (cpu, or auto under the threshold → CPU pool; the rest →
// model-host), and that a ref that is not ready is answered `unavailable` with Retry-After at once.
import { describe, expect, it } from 'vitest';
import type { ModelManifest } from '../registry/manifest.ts';
import { createPlacementRouter, DEFAULT_CPU_MAX_BYTES } from './placement.ts';
import { EdgennError } from '../wit/errors.ts';

const manifest = (placement: ModelManifest['placement'], size: number): ModelManifest => ({
  name: 'm',
  version: '1.0.0',
  digest: `sha256:${'0'.repeat(64)}`,
  size,
  description: '',
  license: '',
  labels: {},
  task: '',
  placement,
  preload: false,
  signature: { inputs: [], outputs: [] },
  created: new Date(0).toISOString(),
});

describe('placement router', () => {
  it('places by placement and size', () => {
    const r = createPlacementRouter({});
    expect(r.targetOf(manifest('cpu', 10 * DEFAULT_CPU_MAX_BYTES))).toBe('cpu');
    expect(r.targetOf(manifest('auto', DEFAULT_CPU_MAX_BYTES))).toBe('cpu');
    expect(r.targetOf(manifest('auto', DEFAULT_CPU_MAX_BYTES + 1))).toBe('model-host');
    expect(r.targetOf(manifest('gpu', 1))).toBe('model-host');
    expect(createPlacementRouter({ cpuMaxBytes: 100 }).targetOf(manifest('auto', 101))).toBe('model-host');
  });

  it('answers unavailable with retryAfter at once for a ref that is not routed', async () => {
    const r = createPlacementRouter({});
    const err = await r.run('m@stable', {}, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgennError);
    expect((err as EdgennError).code).toBe('unavailable');
    expect((err as EdgennError).retryAfter).toBe(1);
    expect(() => r.describe('m@stable')).toThrow(/not ready/);
  });

  it('switches a ref atomically and says unavailable when its placement is down', async () => {
    const r = createPlacementRouter({ modelHost: () => undefined });
    r.set('m@stable', manifest('gpu', 1));
    expect(r.describe('m@stable').version).toBe('1.0.0');
    r.set('m@stable', { ...manifest('gpu', 1), version: '2.0.0' });
    expect(r.entry('m@stable')?.manifest.version).toBe('2.0.0');
    const err = (await r.run('m@stable', {}, {}).catch((e: unknown) => e)) as EdgennError;
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain('model-host');
    await r.idle('m', '2.0.0'); // nothing in flight: resolves at once
    r.delete('m@stable');
    expect(r.refs()).toEqual([]);
  });
});
