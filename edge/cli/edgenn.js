#!/usr/bin/env node
// The `edgenn` command: runs the bundled CLI, building it first when dist/ is missing.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = join(root, 'dist/edge/cli/main.js');
if (!existsSync(main) || process.env.EDGENN_REBUILD === '1') {
  const { build } = await import('../build.mjs');
  await build({ quiet: true });
}
const { main: run } = await import(pathToFileURL(main).href);
process.exitCode = await run(process.argv.slice(2));
