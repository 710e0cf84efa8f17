// The edgenn model manifest: what the registry stores for each published model version (the
// OCI config blob), and what the model-host, the edge and the docs page read back.
import type { TensorType } from '../wit/types.ts';

export type Placement = 'auto' | 'cpu' | 'gpu';

/** A dimension: a number when fixed, a string when dynamic (its symbolic name, or `?` when unnamed). */
export type Dim = number | string;

export interface TensorSpec {
  name: string;
  type: TensorType;
  shape: Dim[];
}

/** Read from the model itself at publish time, never written by the publisher. */
export interface Signature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** Highest opset of the default ONNX domain, when the model declares one. */
  opset?: number;
  irVersion?: number;
  producer?: string;
}

export interface ModelManifest {
  name: string;
  version: string;
  /** `sha256:<hex>` of the `.onnx` file. */
  digest: string;
  /** Bytes of the `.onnx` file. */
  size: number;
  description: string;
  license: string;
  labels: Record<string, string>;
  task: string;
  placement: Placement;
  preload: boolean;
  signature: Signature;
  /** ISO 8601 time of the first publish of this version. */
  created: string;
}

/** One model with all its versions and aliases, as the read API and the docs page see it. */
export interface ModelRecord {
  name: string;
  versions: ModelManifest[];
  /** alias → version, `latest` included. */
  aliases: Record<string, string>;
}

export function isDynamic(dim: Dim): dim is string {
  return typeof dim === 'string';
}

/** `name`, `name@version` or `name@alias`, parsed. A selector that parses as semver is a version. */
export interface ModelRef {
  name: string;
  version?: string;
  alias?: string;
}

export const NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const SEMVER_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
export const ALIAS_RE = /^[a-z][a-z0-9-]{0,62}$/;

export function parseRef(ref: string): ModelRef | undefined {
  const at = ref.indexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  if (!NAME_RE.test(name)) return undefined;
  if (at < 0) return { name };
  const sel = ref.slice(at + 1);
  if (SEMVER_RE.test(sel) && sel.length <= 128) return { name, version: sel };
  if (ALIAS_RE.test(sel)) return { name, alias: sel };
  return undefined;
}

export function formatRef(ref: ModelRef): string {
  return ref.version ? `${ref.name}@${ref.version}` : ref.alias ? `${ref.name}@${ref.alias}` : ref.name;
}

/** Semver precedence (build metadata ignored): negative when a < b. Both must match SEMVER_RE. */
export function compareSemver(a: string, b: string): number {
  const split = (v: string) => {
    const [core, pre] = v.split('+', 1)[0]!.split(/-(.*)/s, 2) as [string, string | undefined];
    return { nums: core.split('.').map(Number), pre: pre === undefined || pre === '' ? [] : pre.split('.') };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < 3; i++) if (x.nums[i] !== y.nums[i]) return x.nums[i]! - y.nums[i]!;
  // A version without a prerelease ranks above any prerelease of the same core.
  if (x.pre.length === 0 || y.pre.length === 0) return y.pre.length - x.pre.length;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i]!;
    const q = y.pre[i]!;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length - y.pre.length;
}
