// The registry's storage boundary. The embedded default is an OCI image layout directory
// (OciLayoutStore); an OCI distribution registry over HTTP will plug in behind the same interface.
import type { ModelManifest, ModelRecord, ModelRef } from './manifest.ts';

/** What a publisher supplies; size, digest, signature and created time are computed. */
export interface PublishMetadata {
  name: string;
  version: string;
  description?: string;
  license?: string;
  labels?: Record<string, string>;
  task?: string;
  placement?: ModelManifest['placement'];
  preload?: boolean;
  /** Extra aliases to point at this version once it is stored (`latest` always moves). */
  aliases?: string[];
}

export interface PublishResult {
  manifest: ModelManifest;
  /** false when the same version with the same digest was already there (idempotent). */
  created: boolean;
}

export interface BlobRange {
  start: number;
  end: number; // inclusive
}

export interface ModelStore {
  /** Creates the layout if needed and removes stale temp files from a crash. */
  init(): Promise<void>;
  /** Every model with its versions and aliases, sorted by name. */
  list(): Promise<ModelRecord[]>;
  get(name: string): Promise<ModelRecord | undefined>;
  /** Throws EdgennError('not-found') naming what is missing. */
  resolve(ref: ModelRef): Promise<ModelManifest>;
  /** Opens a stored blob by digest (`sha256:<hex>`); `size` is the whole blob's size, whatever the range. */
  openBlob(digest: string, range?: BlobRange): Promise<{ stream: NodeJS.ReadableStream; size: number }>;
}

/** A registry change, as the feed (`GET /v1/events`, Server-Sent Events) announces it. */
export interface RegistryEvent {
  /** Monotonic, used as the SSE id and for `Last-Event-ID` resumption. */
  id: number;
  type: 'published' | 'alias-moved' | 'deleted';
  name: string;
  version?: string;
  alias?: string;
  digest?: string;
  time: string;
}
