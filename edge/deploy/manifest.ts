// Validates a handler's DeploymentManifest (as `edgenn deploy` uploads it) and matches request
// paths against route patterns. Every error names the manifest key and the CLI flag to fix.
import type { DeploymentManifest } from '../contracts.ts';
import { EdgennError } from '../../wit/errors.ts';
import { NAME_RE, parseRef } from '../../registry/manifest.ts';

/** A date the pinned workerd (1.20261117.1) supports; handlers that do not choose get this one. */
export const DEFAULT_COMPAT_DATE = '2026-11-01';
/** workerd refuses dates after its own build date. */
export const MAX_COMPAT_DATE = '2026-11-17';

export const LIMITS = {
  requestTimeoutMs: { default: 30_000, min: 100, max: 300_000, flag: '--timeout-ms' },
  memoryMb: { default: 128, min: 16, max: 4096, flag: '--memory-mb' },
} as const;

const MAX_ROUTES = 32;
const MAX_MODELS = 32;
const MAX_VARS = 64;
const MAX_VAR_BYTES = 4096;

/** Path segments the platform owns on its one port: refused as handler routes. */
const RESERVED_FIRST_SEGMENTS = ['v1', 'v2', 'healthz', 'metrics', 'models'];
const RESERVED_TEXT = '`/`, `/models*`, `/v1/*`, `/v2/*`, `/healthz/*`, `/metrics`';

const PATTERN_RE = /^(?:(?:\/[A-Za-z0-9._~-]+)+(?:\/\*)?|\/\*?)$/;
const HOST_RE = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const FLAG_RE = /^[a-z0-9_]{1,64}$/;
const VAR_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function bad(message: string): EdgennError {
  return new EdgennError('invalid-argument', message);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why a route pattern is refused, or undefined when it is fine. */
export function routeProblem(pattern: string, host: string | undefined): string | undefined {
  if (!PATTERN_RE.test(pattern)) {
    return `must look like '/name' or '/name/*' (letters, digits, '.', '_', '~', '-' between slashes)`;
  }
  // URLs resolve '.' and '..' away before routing, so such a route could never match a request.
  if (pattern.split('/').some((s) => s === '.' || s === '..')) {
    return `has a '.' or '..' segment, which request paths never contain (clients resolve them away); write the path without it`;
  }
  const first = pattern.split('/')[1] ?? '';
  if (pattern === '/' || RESERVED_FIRST_SEGMENTS.includes(first === '*' ? '' : first)) {
    return `is reserved for the platform (${RESERVED_TEXT}); choose another path`;
  }
  if (pattern === '/*' && host === undefined) {
    return `would catch every path on every host; bind it to a host ('host/*')`;
  }
  return undefined;
}

function limit(key: keyof typeof LIMITS, raw: unknown): number {
  const spec = LIMITS[key];
  if (raw === undefined) return spec.default;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < spec.min || raw > spec.max) {
    throw bad(`limits.${key} must be a whole number from ${spec.min} to ${spec.max}, got ${JSON.stringify(raw)} (set ${spec.flag})`);
  }
  return raw;
}

function stringList(raw: unknown, key: string, flag: string): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string')) throw bad(`${key} must be a list of strings (set ${flag})`);
  return raw as string[];
}

function parseRoutes(raw: unknown): DeploymentManifest['routes'] {
  if (!Array.isArray(raw) || raw.length === 0) throw bad(`routes must list at least one route, e.g. '/classify/*' (set --route)`);
  if (raw.length > MAX_ROUTES) throw bad(`routes may hold at most ${MAX_ROUTES} entries (fewer --route flags)`);
  const seen = new Set<string>();
  return raw.map((r, i) => {
    const route = typeof r === 'string' ? splitRoute(r) : r;
    if (!isRecord(route) || typeof route.pattern !== 'string' || (route.host !== undefined && typeof route.host !== 'string')) {
      throw bad(`routes[${i}] must be { pattern, host? } or a string like '/classify/*' (set --route)`);
    }
    const host = route.host === undefined ? undefined : route.host.toLowerCase();
    if (host !== undefined && !HOST_RE.test(host)) throw bad(`routes[${i}].host '${route.host}' is not a host name (set --route 'host/path')`);
    const problem = routeProblem(route.pattern, host);
    if (problem) throw bad(`routes[${i}].pattern '${route.pattern}' ${problem} (set --route)`);
    const key = routeKey({ pattern: route.pattern, host });
    if (seen.has(key)) throw bad(`routes[${i}] '${key}' is listed twice (drop one --route)`);
    seen.add(key);
    return host === undefined ? { pattern: route.pattern } : { pattern: route.pattern, host };
  });
}

/** `--route` text: `/path/*` or `host/path/*`. */
export function splitRoute(text: string): { pattern: string; host?: string } {
  if (text.startsWith('/')) return { pattern: text };
  const slash = text.indexOf('/');
  if (slash < 0) return { pattern: text };
  return { host: text.slice(0, slash), pattern: text.slice(slash) };
}

export function routeKey(route: { pattern: string; host?: string | undefined }): string {
  return `${route.host ?? ''}${route.pattern}`;
}

function parseModels(raw: unknown): string[] {
  const models = stringList(raw, 'models', '--model');
  if (models.length > MAX_MODELS) throw bad(`models may hold at most ${MAX_MODELS} references (fewer --model flags)`);
  const names = new Set<string>();
  for (const [i, ref] of models.entries()) {
    const parsed = parseRef(ref);
    if (!parsed) {
      throw bad(`models[${i}] '${ref}' is not a model reference: use 'name', 'name@1.2.0' or 'name@alias' (set --model)`);
    }
    // The binding calls models by name, so one name may appear once in the allow-list.
    if (names.has(parsed.name)) throw bad(`models[${i}] names '${parsed.name}' a second time; keep one reference per model (--model)`);
    names.add(parsed.name);
  }
  return models;
}

function parseDate(raw: unknown): string {
  if (raw === undefined) return DEFAULT_COMPAT_DATE;
  if (typeof raw !== 'string' || !DATE_RE.test(raw) || Number.isNaN(Date.parse(`${raw}T00:00:00Z`))) {
    throw bad(`compatibilityDate must be a date YYYY-MM-DD, got ${JSON.stringify(raw)} (set --compat-date)`);
  }
  if (raw > MAX_COMPAT_DATE) throw bad(`compatibilityDate ${raw} is newer than this workerd supports (${MAX_COMPAT_DATE}); set --compat-date ${DEFAULT_COMPAT_DATE} or earlier`);
  return raw;
}

function parseVars(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (!isRecord(raw)) throw bad(`vars must be an object of string values (set --var KEY=VALUE)`);
  const entries = Object.entries(raw);
  if (entries.length > MAX_VARS) throw bad(`vars may hold at most ${MAX_VARS} entries (fewer --var flags)`);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (!VAR_NAME_RE.test(k)) throw bad(`vars key '${k}' must be an identifier (letters, digits, '_'; set --var KEY=VALUE)`);
    // env.AI is the binding; a variable must not shadow it.
    if (k === 'AI') throw bad(`vars key 'AI' is reserved for the inference binding; rename it (--var)`);
    if (typeof v !== 'string') throw bad(`vars.${k} must be a string (set --var ${k}=VALUE)`);
    if (Buffer.byteLength(v) > MAX_VAR_BYTES) throw bad(`vars.${k} is longer than ${MAX_VAR_BYTES} bytes (--var)`);
    out[k] = v;
  }
  return out;
}

/** Checks an uploaded manifest and fills the defaults. Throws EdgennError('invalid-argument'). */
export function validateManifest(raw: unknown): DeploymentManifest {
  if (!isRecord(raw)) throw bad('the manifest must be a JSON object with name, routes and models');
  const known = new Set(['name', 'routes', 'models', 'limits', 'compatibilityDate', 'compatibilityFlags', 'vars']);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw bad(`unknown manifest key '${k}'; known keys: ${[...known].join(', ')}`);
  if (typeof raw.name !== 'string' || !NAME_RE.test(raw.name)) {
    throw bad(`name must be lowercase letters, digits and '-' (1–63, not starting or ending with '-'), got ${JSON.stringify(raw.name)} (set --name)`);
  }
  const limits = raw.limits === undefined ? {} : raw.limits;
  if (!isRecord(limits)) throw bad('limits must be an object { requestTimeoutMs, memoryMb } (set --timeout-ms, --memory-mb)');
  for (const k of Object.keys(limits)) if (!(k in LIMITS)) throw bad(`unknown key limits.${k}; known: requestTimeoutMs, memoryMb`);
  const flags = stringList(raw.compatibilityFlags, 'compatibilityFlags', '--compat-flag');
  for (const f of flags) if (!FLAG_RE.test(f)) throw bad(`compatibilityFlags entry '${f}' is not a flag name like nodejs_compat (--compat-flag)`);
  return {
    name: raw.name,
    routes: parseRoutes(raw.routes),
    models: parseModels(raw.models),
    limits: { requestTimeoutMs: limit('requestTimeoutMs', limits.requestTimeoutMs), memoryMb: limit('memoryMb', limits.memoryMb) },
    compatibilityDate: parseDate(raw.compatibilityDate),
    compatibilityFlags: [...new Set(flags)],
    vars: parseVars(raw.vars),
  };
}

/** Refuses routes that another deployment already owns: 409 naming the owner. */
export function checkRouteConflicts(manifest: DeploymentManifest, others: Iterable<DeploymentManifest>): void {
  const mine = new Map(manifest.routes.map((r) => [routeKey(r), r]));
  for (const other of others) {
    if (other.name === manifest.name) continue;
    for (const r of other.routes) {
      if (mine.has(routeKey(r))) {
        throw new EdgennError('conflict', `route '${routeKey(r)}' belongs to deployment '${other.name}'; undeploy it or choose another --route`);
      }
    }
  }
}

/** A route compiled for matching: more specific routes sort first. */
export interface CompiledRoute<T> {
  host?: string;
  /** The literal part: `/classify` for `/classify/*`. */
  prefix: string;
  wildcard: boolean;
  target: T;
}

export function compileRoute<T>(route: { pattern: string; host?: string }, target: T): CompiledRoute<T> {
  const wildcard = route.pattern.endsWith('/*');
  const prefix = wildcard ? route.pattern.slice(0, -2) : route.pattern;
  return route.host === undefined ? { prefix, wildcard, target } : { host: route.host, prefix, wildcard, target };
}

/** Host-bound before host-free, exact before wildcard, longer prefix before shorter. */
export function compareRoutes<T>(a: CompiledRoute<T>, b: CompiledRoute<T>): number {
  if ((a.host === undefined) !== (b.host === undefined)) return a.host === undefined ? 1 : -1;
  if (a.wildcard !== b.wildcard) return a.wildcard ? 1 : -1;
  return b.prefix.length - a.prefix.length;
}

export function routeMatches<T>(route: CompiledRoute<T>, hostname: string, path: string): boolean {
  if (route.host !== undefined && route.host !== hostname) return false;
  if (!route.wildcard) return path === route.prefix || path === `${route.prefix}/`;
  return path === route.prefix || path.startsWith(`${route.prefix}/`);
}
