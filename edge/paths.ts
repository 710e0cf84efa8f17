// Where the project's files are, from source (vitest, tsx) and from the bundle in dist/ alike.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'edgenn') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('edgenn: cannot find the project root (package.json named edgenn)');
    dir = up;
  }
}

export const projectRoot = findRoot();

/** A bundled entrypoint: `dist/<path>.js` for a source entry `<path>.ts` listed in edge/build.mjs. */
export function distEntry(sourcePath: string): string {
  return join(projectRoot, 'dist', sourcePath.replace(/\.ts$/, '.js'));
}

/**
 * The workerd binary. We depend on the per-platform packages directly: the `workerd` wrapper's
 * optional darwin/windows packages are not on our registry, which makes `npm ci` fail.
 */
export function workerdBinary(): string {
  if (process.env.EDGENN_WORKERD) return process.env.EDGENN_WORKERD;
  const pkg = `@cloudflare/workerd-${process.platform}-${process.arch === 'x64' ? '64' : process.arch}`;
  const bin = join(projectRoot, 'node_modules', pkg, 'bin', 'workerd');
  if (!existsSync(bin)) throw new Error(`workerd binary not found: install ${pkg} (npm ci on linux x64/arm64), or set EDGENN_WORKERD`);
  return bin;
}
