// The docs page's live status comes from both placements, with the provider deciding GPU or CPU fallback.
import { describe, expect, it } from 'vitest';
import type { ModelStatus } from '../model-host/engine/types.ts';
import { liveStatus } from './live-status.ts';

const base = { digest: 'sha256:00', pinned: true };
const cpu: ModelStatus[] = [{ ...base, name: 'ocr-cls', version: '1.0.0', state: 'ready', provider: 'cpu', residentBytes: 4_000_000 }];
const hosted: ModelStatus[] = [
  { ...base, name: 'isnet', version: '1.0.0', state: 'ready', provider: 'cuda' },
  { ...base, name: 'big', version: '2.0.0', state: 'warming', provider: 'cpu' },
  { ...base, name: 'bad', version: '1.0.0', state: 'failed', error: { code: 'too-large', message: 'over budget' } },
];

describe('liveStatus', () => {
  it('maps CPU workers and model-host providers to where each model runs', async () => {
    const all = await liveStatus(() => cpu, () => Promise.resolve(hosted));
    expect(all).toEqual([
      { name: 'ocr-cls', version: '1.0.0', state: 'ready', where: 'cpu-worker', memoryBytes: 4_000_000 },
      { name: 'isnet', version: '1.0.0', state: 'ready', where: 'model-host-gpu' },
      { name: 'big', version: '2.0.0', state: 'warming', where: 'model-host-cpu' },
      { name: 'bad', version: '1.0.0', state: 'failed', where: 'model-host-cpu', error: 'over budget' },
    ]);
  });

  it('still reports the CPU side when the model-host is down or absent', async () => {
    expect(await liveStatus(() => cpu, () => Promise.reject(new Error('down')))).toHaveLength(1);
    expect(await liveStatus(() => cpu, () => undefined)).toHaveLength(1);
  });
});
