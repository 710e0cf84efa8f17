// The index's data rules: latest version, placement (manifest, size threshold, live status),
// human sizes, and the filter the server and the inline script both apply.
import { describe, expect, it } from 'vitest';
import type { ModelManifest, ModelRecord } from '../manifest.ts';
import { compareVersions, humanSize, matches, plannedWhere, readFilters, summarize, type Filters } from './catalog.ts';
import type { LiveModelStatus } from './live-status.ts';

const MiB = 1024 * 1024;

function version(v: string, over: Partial<ModelManifest> = {}): ModelManifest {
  return {
    name: 'm',
    version: v,
    digest: `sha256:${v.replace(/\W/g, '').padEnd(64, '0')}`,
    size: 1000,
    description: 'Finds faces',
    license: 'MIT',
    labels: { domain: 'vision' },
    task: 'detection',
    placement: 'auto',
    preload: false,
    signature: { inputs: [], outputs: [] },
    created: '2026-01-01T00:00:00Z',
    ...over,
  };
}
const record = (versions: ModelManifest[], aliases: Record<string, string> = {}): ModelRecord => ({ name: 'm', versions, aliases });
const none: Filters = { q: '', task: '', label: '', placement: '' };

describe('catalog', () => {
  it('orders versions by semver, prerelease before release', () => {
    const sorted = ['1.10.0', '1.2.0', '1.2.0-rc.1', '0.9.9'].sort(compareVersions);
    expect(sorted).toEqual(['0.9.9', '1.2.0-rc.1', '1.2.0', '1.10.0']);
  });

  it('takes latest from the alias when it exists, else the highest version', () => {
    const r = record([version('1.0.0'), version('2.0.0')]);
    expect(summarize(r, [], 64 * MiB)!.latestVersion).toBe('2.0.0');
    expect(summarize({ ...r, aliases: { latest: '1.0.0' } }, [], 64 * MiB)!.latestVersion).toBe('1.0.0');
    expect(summarize(record([]), [], 64 * MiB)).toBeUndefined();
  });

  it('plans placement from the manifest and the CPU threshold', () => {
    expect(plannedWhere({ placement: 'cpu', size: 1e9 }, 64 * MiB)).toBe('cpu-worker');
    expect(plannedWhere({ placement: 'auto', size: 64 * MiB }, 64 * MiB)).toBe('cpu-worker');
    expect(plannedWhere({ placement: 'auto', size: 64 * MiB + 1 }, 64 * MiB)).toBe('model-host-gpu');
    expect(plannedWhere({ placement: 'gpu', size: 10 }, 64 * MiB)).toBe('model-host-gpu');
  });

  it('lets live status say where a model really runs (model-host CPU fallback)', () => {
    const live: LiveModelStatus[] = [
      { name: 'other', version: '1.0.0', state: 'ready', where: 'cpu-worker' },
      { name: 'm', version: '1.0.0', state: 'ready', where: 'model-host-cpu', memoryBytes: 2 * MiB },
    ];
    const s = summarize(record([version('1.0.0', { placement: 'gpu' })]), live, 64 * MiB)!;
    expect(s.placement).toMatchObject({ planned: 'model-host-gpu', where: 'model-host-cpu', live: true, label: 'model-host CPU (fallback)' });
    expect(s.status?.state).toBe('ready');
    const unknown = summarize(record([version('1.0.0', { placement: 'gpu' })]), [], 64 * MiB)!;
    expect(unknown.status).toBeUndefined();
    expect(unknown.placement.live).toBe(false);
  });

  it('prints sizes in binary units', () => {
    expect(humanSize(0)).toBe('0 B');
    expect(humanSize(1023)).toBe('1023 B');
    expect(humanSize(1536)).toBe('1.5 KiB');
    expect(humanSize(88 * MiB)).toBe('88.0 MiB');
    expect(humanSize(2.5 * 1024 * MiB)).toBe('2.5 GiB');
  });

  it('filters on every search term and on exact task, label and placement', () => {
    const s = summarize(record([version('1.0.0')], { latest: '1.0.0', stable: '1.0.0' }), [], 64 * MiB)!;
    expect(matches(s, none)).toBe(true);
    expect(matches(s, { ...none, q: 'FACES  detect' })).toBe(true);
    expect(matches(s, { ...none, q: 'faces audio' })).toBe(false);
    expect(matches(s, { ...none, q: 'stable' })).toBe(true);
    expect(matches(s, { ...none, task: 'detection' })).toBe(true);
    expect(matches(s, { ...none, task: 'detect' })).toBe(false);
    expect(matches(s, { ...none, label: 'domain=vision' })).toBe(true);
    expect(matches(s, { ...none, label: 'domain=audio' })).toBe(false);
    expect(matches(s, { ...none, placement: 'cpu-worker' })).toBe(true);
    expect(matches(s, { ...none, placement: 'model-host-gpu' })).toBe(false);
  });

  it('reads filters from query parameters, trimmed and bounded', () => {
    const q: Record<string, string> = { q: '  face ', task: 'x'.repeat(500) };
    const f = readFilters((k) => q[k]);
    expect(f.q).toBe('face');
    expect(f.task).toHaveLength(200);
    expect(f.label).toBe('');
  });
});
