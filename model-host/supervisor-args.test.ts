import { expect, it } from 'vitest';
import { modelHostArgs } from './supervisor.ts';

it('passes the intra-op thread count to the child only when one is given', () => {
  const base = { registryUrl: 'http://127.0.0.1:1', socketPath: '/tmp/x.sock', cacheDir: '/tmp/c' };
  const args = modelHostArgs({ ...base, intraOpThreads: 2, batching: { maxBatchSize: 4 } });
  expect(args.slice(args.indexOf('--intra-op-threads'), args.indexOf('--intra-op-threads') + 2)).toEqual(['--intra-op-threads', '2']);
  expect(args).toContain('--batch-max');
  expect(modelHostArgs(base)).not.toContain('--intra-op-threads');
});
