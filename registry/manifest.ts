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
