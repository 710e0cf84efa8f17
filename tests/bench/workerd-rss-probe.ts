// Not a registered bench: a probe of one deployment's workerd RSS under closed-loop load, sampled every 5 s.
// npx tsx tests/bench/workerd-rss-probe.ts <const|tiny|big> <seconds> [cpu|gpu] [calls per request]; MEM=N sets --memory-mb.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { addModel } from '../../tests/fixtures/onnx-models.ts';
import { childPids, createWorkspace, rssOf } from '../../tests/bench/lib/fixtures.ts';
import { startEdge } from '../../tests/bench/lib/edge.ts';
import { httpCall } from '../../tests/bench/lib/http-load.ts';
import { projectRoot } from '../../edge/paths.ts';
const [variant = 'tiny', secondsArg = '60', placement = 'cpu', nArg = '1'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const ws = createWorkspace('edgenn-leak-');
const ctx = { quick: true, log: (l: string) => console.error(l) };
const edge = await startEdge(ws, ctx);
try {
  await edge.publish(ws.file('tiny.onnx', addModel({ width: 4 })), 'tiny', '1.0.0', [], placement as 'cpu');
  await edge.publish(ws.file('wide.onnx', addModel({ width: 25600 })), 'wide', '1.0.0', [], placement as 'cpu');
  const mem = process.env.MEM ? ['--memory-mb', process.env.MEM] : [];
  execFileSync(process.execPath, [join(projectRoot, 'edge/cli/edgenn.js'), 'deploy', join(projectRoot, 'tests/reliability/handlers/binding-loop.ts'), '--name', 'probe', '--route', '/probe', '--model', 'tiny', '--model', 'wide', ...mem, '--edge', edge.url, '--token', edge.token], { stdio: 'inherit' });
  await edge.waitReady();
  const wpid = childPids(edge.pid, 'workerd')[0]!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const call = httpCall({ url: `${edge.url}/probe?v=${variant}&n=${nArg}`, method: 'GET' }, agent);
  let count = 0, errors = 0, stop = false;
  const t0 = Date.now();
  const loops = Array.from({ length: 4 }, async () => { while (!stop) { try { await call(); count++; } catch (e) { errors++; if (errors < 3) console.error(String(e)); } } });
  const samples: string[] = [];
  while (Date.now() - t0 < seconds * 1000) {
    samples.push(`${((Date.now() - t0) / 1000).toFixed(0)}s:${(rssOf(wpid) / 2 ** 20).toFixed(0)}/${count}`);
    await new Promise((r) => setTimeout(r, 5000));
  }
  stop = true; await Promise.all(loops);
  samples.push(`end:${(rssOf(wpid) / 2 ** 20).toFixed(0)}/${count}`);
  await new Promise((r) => setTimeout(r, 5000));
  samples.push(`idle5s:${(rssOf(wpid) / 2 ** 20).toFixed(0)}`);
  console.log(`mem=${process.env.MEM ?? 128} variant=${variant} placement=${placement} n=${nArg} reqs=${count} errors=${errors} rss(MiB)/reqs: ${samples.join(' ')}`);
  agent.destroy();
} finally { await edge.stop(); ws.cleanup(); }
