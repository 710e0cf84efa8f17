// The baselines for the HTTP benchmark, run as a child process: a plain Hono app on
// @hono/node-server that calls ONNX Runtime directly (the monolith), or that creates the session on
// every request (the load-per-request baseline, what a naive serverless function does).
// Usage: node --import tsx tests/bench/monolith/server.ts --model FILE --mode session|per-request
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { closeSession, openSession, runSession, type OpenSession } from '../../../model-host/engine/onnx.ts';
import { classifyResponse, readTensor } from '../handlers/classify-io.ts';

const { values } = parseArgs({ options: { model: { type: 'string' }, mode: { type: 'string', default: 'session' }, threads: { type: 'string', default: '1' } } });
if (!values.model || !['session', 'per-request'].includes(values.mode!)) {
  console.error('usage: server.ts --model FILE --mode session|per-request [--threads N]');
  process.exit(64);
}
const opts = { intraOpNumThreads: Number(values.threads) };
const resident: OpenSession | undefined = values.mode === 'session' ? await openSession(values.model, opts) : undefined;

const app = new Hono();
app.post('/classify', async (c) => {
  const x = readTensor(new Uint8Array(await c.req.arrayBuffer()));
  const s = resident ?? (await openSession(values.model!, opts));
  try {
    return c.json(classifyResponse(await runSession(s.session, { x })));
  } finally {
    if (!resident) await closeSession(s.session);
  }
});

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
