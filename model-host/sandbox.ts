// How the model-host child is confined: Node's permission model (flags feature-detected on the
// running Node), a scrubbed environment and, when started as root, an unprivileged user.
// It plans the spawn; the supervisor spawns. What it cannot enforce is listed in `unavailable`.
import { spawnSync } from 'node:child_process';
import { accessSync, chownSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, parse } from 'node:path';

export interface SandboxOptions {
  /** The bundled entrypoint (dist/model-host/main.js). */
  entry: string;
  /** Arguments for the entrypoint. */
  args: string[];
  projectRoot: string;
  /** The blob cache: readable and writable by the child. */
  cacheDir: string;
  /** The Unix socket: its directory is writable by the child, so it should hold nothing else. */
  socketPath?: string;
  /** When started as root, run as this user (default `nobody`). */
  user?: string;
  /** Environment to pick from (default process.env). Only the allow-listed names pass. */
  env?: NodeJS.ProcessEnv;
  /** A registry read token, passed as EDGENN_READ_TOKEN; the admin token (EDGENN_TOKEN) never is. */
  readToken?: string;
  /** Test seam: the flags this Node accepts (default process.allowedNodeEnvironmentFlags). */
  allowedFlags?: ReadonlySet<string>;
}

export interface SandboxPlan {
  command: string;
  argv: string[];
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  /** Protections in force, one phrase each (logged at start). */
  active: string[];
  /** Protections this Node or this setup cannot give, and what the sandbox never covers. */
  unavailable: string[];
}

/** Names that pass into the child: locale, time zone, and what the CUDA loader and ORT read. */
const PASS_ENV = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'LD_LIBRARY_PATH', 'CUDA_VISIBLE_DEVICES', 'CUDA_MODULE_LOADING', 'NVIDIA_VISIBLE_DEVICES', 'NVIDIA_DRIVER_CAPABILITIES', 'OMP_NUM_THREADS'];

let probed: string | null | undefined;

/** `--permission` (Node ≥ 22), `--experimental-permission` (Node 20), or undefined when this Node has neither. */
export function permissionFlag(allowed: ReadonlySet<string> = process.allowedNodeEnvironmentFlags): string | undefined {
  if (allowed.has('--permission')) return '--permission';
  if (allowed.has('--experimental-permission')) return '--experimental-permission';
  if (allowed !== process.allowedNodeEnvironmentFlags) return undefined;
  // Some builds list neither in NODE_OPTIONS' allowed set: ask the binary itself, once.
  if (probed === undefined) {
    probed = null;
    for (const flag of ['--permission', '--experimental-permission']) {
      if (spawnSync(process.execPath, [flag, '-e', '0'], { stdio: 'ignore', timeout: 10_000 }).status === 0) {
        probed = flag;
        break;
      }
    }
  }
  return probed ?? undefined;
}

function both(path: string): string[] {
  if (!existsSync(path)) return [path];
  const real = realpathSync(path);
  return real === path ? [path] : [path, real];
}

interface Passwd {
  uid: number;
  gid: number;
}

function lookupUser(name: string): Passwd | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no /etc/passwd: cannot drop privileges by name
  }
  if (/^\d+$/.test(name)) return { uid: Number(name), gid: Number(name) };
  return undefined;
}

/** Whether every ancestor of `path` lets "others" traverse it (the child will not own them). */
function traversableByOthers(path: string): string | undefined {
  let dir = dirname(path);
  const { root } = parse(path);
  for (;;) {
    if (!(statSync(dir).mode & 0o001)) return dir;
    if (dir === root) return undefined;
    dir = dirname(dir);
  }
}

/** Gives the unprivileged user its cache or socket dir and what is in it (three levels deep at most). A world-writable dir such as /tmp is left alone. */
function handOver(dir: string, who: Passwd, depth = 0): void {
  if (depth === 0) mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (depth === 0 && statSync(dir).mode & 0o002) return;
  chownSync(dir, who.uid, who.gid);
  if (depth >= 3) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) handOver(p, who, depth + 1);
    else chownSync(p, who.uid, who.gid);
  }
}

export function planSandbox(opts: SandboxOptions): SandboxPlan {
  const active: string[] = [];
  const unavailable: string[] = [];
  const env: Record<string, string> = {};
  const source = opts.env ?? process.env;
  for (const name of PASS_ENV) if (source[name] !== undefined) env[name] = source[name]!;
  env.HOME = opts.cacheDir;
  if (opts.readToken) env.EDGENN_READ_TOKEN = opts.readToken;
  active.push(`scrubbed environment (${Object.keys(env).sort().join(', ')}; no EDGENN_TOKEN, no NODE_OPTIONS)`);

  const argv: string[] = [];
  const flag = permissionFlag(opts.allowedFlags);
  const socketDir = opts.socketPath ? dirname(opts.socketPath) : undefined;
  if (flag) {
    const nodeModules = join(opts.projectRoot, 'node_modules');
    const reads = [
      ...both(join(opts.projectRoot, 'dist')),
      ...both(nodeModules),
      // The ESM loader reads the project's package.json to learn that dist/*.js are modules.
      join(opts.projectRoot, 'package.json'),
      ...both(opts.cacheDir),
      ...(socketDir ? both(socketDir) : []),
    ];
    const writes = [...both(opts.cacheDir), ...(socketDir ? both(socketDir) : [])];
    argv.push(flag, ...reads.map((p) => `--allow-fs-read=${p}`), ...writes.map((p) => `--allow-fs-write=${p}`), '--allow-addons');
    active.push(`Node permission model (${flag})`, `file reads limited to dist/, node_modules/, package.json and the cache${socketDir ? ' and socket directory' : ''}`, `file writes limited to the cache${socketDir ? ' and the socket directory' : ''}`, 'no child processes', 'no worker threads', 'no WASI');
    unavailable.push('native addons are allowed (ONNX Runtime needs them) and read model files themselves, outside the fs allow-list');
    unavailable.push('network access is not restricted by the permission model (the model-host only dials the registry)');
  } else {
    unavailable.push(`Node ${process.version} has no permission model flag: file, child-process and worker restrictions are OFF`);
  }
  argv.push('--disallow-code-generation-from-strings');
  active.push('no eval / new Function');

  const plan: SandboxPlan = { command: process.execPath, argv: [...argv, opts.entry, ...opts.args], env, active, unavailable };

  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    const name = opts.user ?? 'nobody';
    const who = lookupUser(name);
    const blocked = who
      ? [join(opts.projectRoot, 'dist'), join(opts.projectRoot, 'node_modules'), opts.cacheDir, ...(socketDir ? [socketDir] : [])]
          .map((p) => (existsSync(p) ? realpathSync(p) : p))
          .map(traversableByOthers)
          .find((d) => d !== undefined)
      : undefined;
    // The child may create and delete files in its socket directory: never hand it one shared with other sockets.
    const others = socketDir && existsSync(socketDir) ? readdirSync(socketDir).filter((n) => n !== basename(opts.socketPath!)) : [];
    if (!who) unavailable.push(`started as root but user '${name}' does not exist: still running as root`);
    else if (others.length) unavailable.push(`started as root but the socket directory ${socketDir} also holds ${others.slice(0, 3).join(', ')}: still running as root; give the model-host a socket directory of its own`);
    else if (blocked) unavailable.push(`started as root but '${name}' could not reach ${blocked} (not traversable by others): still running as root; make it o+x or choose other directories`);
    else {
      try {
        accessSync(opts.entry, constants.R_OK);
        handOver(opts.cacheDir, who);
        if (socketDir) handOver(socketDir, who);
        plan.uid = who.uid;
        plan.gid = who.gid;
        active.push(`runs as '${name}' (uid ${who.uid}), not root`);
      } catch (err) {
        unavailable.push(`started as root but could not hand the cache to '${name}' (${(err as Error).message}): still running as root`);
      }
    }
  }
  return plan;
}
