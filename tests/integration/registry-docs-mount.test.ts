// The registry serves the available-models page at / and /models/{name}, over the same store as
// its API, and guards it like the other reads when reads need the token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, type TestRegistry } from './registry-harness.ts';

let open: TestRegistry;
let closed: TestRegistry;
beforeAll(async () => {
  [open, closed] = await Promise.all([startTestRegistry(), startTestRegistry({ requireTokenForReads: true })]);
  expect((await open.publish('adder', '1.0.0', addModel(), 'description=adds%20one&task=demo')).status).toBe(201);
});
afterAll(async () => {
  await open?.close();
  await closed?.close();
});

describe('docs page mounted in the registry', () => {
  it('lists a model published through the API on the index page', async () => {
    const res = await fetch(`${open.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('adder');
    expect(html).toContain('adds one');
  });

  it('answers the model page as JSON on Accept: application/json', async () => {
    const r = await open.json('/models/adder', { headers: { accept: 'application/json' } });
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.body)).toContain('"adder"');
  });

  it('needs the token for the page when reads need it', async () => {
    expect((await closed.json('/')).status).toBe(401);
    expect((await closed.json('/', { headers: closed.auth })).status).toBe(200);
  });
});
