// The token is generated once into <data>/token with mode 0600, EDGENN_TOKEN wins, and the bearer
// check accepts only the exact token.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBearer, loadOrCreateToken } from './token.ts';

describe('loadOrCreateToken', () => {
  it('creates the token file once, mode 0600, and reads it back after', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgenn-token-'));
    try {
      const first = await loadOrCreateToken(join(dir, 'data'));
      expect(first.created).toBe(true);
      expect(first.token.length).toBeGreaterThanOrEqual(40);
      expect((await stat(join(dir, 'data', 'token'))).mode & 0o777).toBe(0o600);
      expect((await readFile(join(dir, 'data', 'token'), 'utf8')).trim()).toBe(first.token);
      const second = await loadOrCreateToken(join(dir, 'data'));
      expect(second).toMatchObject({ token: first.token, created: false });
      expect(await loadOrCreateToken(join(dir, 'data'), 'from-env')).toMatchObject({ token: 'from-env', created: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('checkBearer', () => {
  it('accepts exactly "Bearer <token>"', () => {
    expect(checkBearer('Bearer s3cret', 's3cret')).toBe(true);
    expect(checkBearer('bearer s3cret', 's3cret')).toBe(true);
    for (const bad of [undefined, null, '', 's3cret', 'Bearer', 'Bearer s3cre', 'Bearer s3cret2', 'Basic s3cret', 'Bearer s3cret extra']) {
      expect(checkBearer(bad, 's3cret'), String(bad)).toBe(false);
    }
    expect(checkBearer('Bearer ', '')).toBe(false);
  });
});
