// `edgenn publish model.onnx --name N --version V …`: streams the file to the registry with a
// progress bar (plain percentage lines when stderr is not a terminal), then prints what was stored.
import { stat } from 'node:fs/promises';
import { UsageError, many, type Command } from '../../edge/cli/args.ts';
import { checkAlias, checkName, checkVersion } from '../oci-layout-store.ts';
import type { Placement } from '../manifest.ts';
import type { PublishMetadata } from '../store.ts';
import { connect } from './connect.ts';
import { formatBytes, formatManifest } from './format.ts';

function progressReporter(stream: NodeJS.WriteStream): { update(sent: number, total: number): void; done(): void } {
  if (stream.isTTY) {
    let lastDrawn = -1;
    return {
      update(sent, total) {
        const pct = total ? Math.floor((sent / total) * 100) : 100;
        if (pct === lastDrawn) return;
        lastDrawn = pct;
        const width = 30;
        const filled = Math.round((pct / 100) * width);
        stream.write(`\rpublishing [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}%  ${formatBytes(sent)} / ${formatBytes(total)}`);
      },
      done() {
        if (lastDrawn >= 0) stream.write('\n');
      },
    };
  }
  let lastStep = -1;
  return {
    update(sent, total) {
      const step = total ? Math.floor((sent / total) * 10) : 10;
      if (step === lastStep) return;
      lastStep = step;
      stream.write(`publishing ${step * 10}% (${sent} of ${total} bytes)\n`);
    },
    done() {},
  };
}

export const command: Command = {
  summary: 'publish an ONNX model to the registry',
  usage: `Usage: edgenn publish MODEL.onnx --name NAME --version SEMVER [options]

Uploads the file (streamed, hashed) to the registry, which checks that ONNX Runtime can load it
and reads its signature. Versions are immutable; publishing the same file again is harmless.
'latest' always points at the highest version.

  --name NAME              lowercase DNS label, up to 63 characters (a-z, 0-9, '-')
  --version SEMVER         e.g. 1.0.0
  --description TEXT       shown on the models page
  --license ID             e.g. MIT, Apache-2.0
  --label KEY=VALUE        repeatable
  --task TASK              e.g. image-segmentation
  --placement auto|cpu|gpu where it runs (default auto)
  --preload                load it before traffic on every edge
  --alias ALIAS            also point ALIAS at this version; repeatable

The registry is --registry URL, else $EDGENN_REGISTRY, else http://127.0.0.1:8787; the token is
--token, else $EDGENN_TOKEN, else <data>/token.`,
  options: {
    name: { type: 'string' },
    version: { type: 'string' },
    description: { type: 'string' },
    license: { type: 'string' },
    label: { type: 'string', multiple: true },
    task: { type: 'string' },
    placement: { type: 'string' },
    preload: { type: 'boolean' },
    alias: { type: 'string', multiple: true },
  },
  async run(args, flags) {
    const v = args.values;
    const file = args.positionals[0];
    if (!file || args.positionals.length > 1) throw new UsageError('give exactly one model file');
    if (typeof v.name !== 'string') throw new UsageError('--name is required');
    if (typeof v.version !== 'string') throw new UsageError('--version is required');
    checkName(v.name);
    checkVersion(v.version);
    const aliases = many(v.alias);
    aliases.forEach(checkAlias);
    const labels: Record<string, string> = {};
    for (const l of many(v.label)) {
      const eq = l.indexOf('=');
      if (eq <= 0) throw new UsageError(`--label must be KEY=VALUE, got '${l}'`);
      labels[l.slice(0, eq)] = l.slice(eq + 1);
    }
    if (typeof v.placement === 'string' && !['auto', 'cpu', 'gpu'].includes(v.placement)) throw new UsageError(`--placement must be auto, cpu or gpu, got '${v.placement}'`);
    try {
      if (!(await stat(file)).isFile()) throw new UsageError(`${file} is not a file`);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const meta: PublishMetadata = {
      name: v.name,
      version: v.version,
      labels,
      aliases,
      ...(typeof v.description === 'string' ? { description: v.description } : {}),
      ...(typeof v.license === 'string' ? { license: v.license } : {}),
      ...(typeof v.task === 'string' ? { task: v.task } : {}),
      ...(typeof v.placement === 'string' ? { placement: v.placement as Placement } : {}),
      ...(v.preload === true ? { preload: true } : {}),
    };
    const client = await connect(flags);
    const progress = progressReporter(process.stderr);
    let result;
    try {
      result = await client.publish(file, meta, (sent, total) => progress.update(sent, total));
    } finally {
      progress.done();
    }
    const record = await client.get(meta.name);
    const pointing = Object.entries(record.aliases).filter(([, ver]) => ver === meta.version).map(([a]) => a);
    console.log(result.created ? `published ${meta.name}@${meta.version}` : `${meta.name}@${meta.version} was already published with this file (nothing changed)`);
    for (const line of formatManifest(result.manifest, pointing)) console.log(`  ${line}`);
    return 0;
  },
};
