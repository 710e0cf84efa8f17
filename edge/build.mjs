// Bundles the entrypoints that run outside vitest (the CLI, the sandboxed model-host, the CPU
// worker threads, the workerd binding module) into dist/, as plain JavaScript: the model-host
// runs under Node's permission model, where a TypeScript loader (which spawns esbuild) cannot.
import { build as esbuild } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** One line per entrypoint, bundled to dist/<same path>.js. */
export const ENTRIES = [
  'edge/cli/main.ts',
  'edge/cpu-worker.ts',
  'model-host/main.ts',
];

/** Modules that run INSIDE workerd: each one self-contained (no shared chunks, no Node), one line each. */
export const WORKERD_ENTRIES = [
  'edge/workerd/binding.ts',
];

export async function build({ quiet = false } = {}) {
  const entryPoints = ENTRIES.map((e) => join(root, e)).filter((e) => existsSync(e));
  await esbuild({
    entryPoints,
    outdir: join(root, 'dist'),
    outbase: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    // Shared chunks: each command loads only what it imports (`edgenn models` never loads ONNX Runtime).
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: quiet ? 'error' : 'warning',
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx',
  });
  // workerd embeds each as one module: code split into chunks would be unreachable there.
  await esbuild({
    entryPoints: WORKERD_ENTRIES.map((e) => join(root, e)),
    outdir: join(root, 'dist'),
    outbase: root,
    bundle: true,
    platform: 'neutral',
    format: 'esm',
    target: 'es2022',
    splitting: false,
    logLevel: quiet ? 'error' : 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await build();
  console.log(`built ${ENTRIES.length} entrypoints into dist/`);
}
