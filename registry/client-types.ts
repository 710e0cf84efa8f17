// How the model-host, the edge and the CLI talk to a registry over HTTP (registry/client.ts
// implements it). Everything here is lifecycle work: nothing on a request path calls it.
import type { ModelManifest, ModelRecord } from './manifest.ts';
import type { PublishMetadata, PublishResult, RegistryEvent } from './store.ts';

export interface RegistryClient {
  readonly url: string;
  list(): Promise<ModelRecord[]>;
  get(name: string): Promise<ModelRecord>;
  /** `name`, `name@version` or `name@alias` → that version's manifest (EdgennError('not-found') otherwise). */
  resolve(ref: string): Promise<ModelManifest>;
  /**
   * Streams a blob to `destPath` through a temp file, verifying its sha256 against `digest`
   * before renaming it into place. Reports progress in bytes.
   */
  fetchBlob(digest: string, destPath: string, onProgress?: (received: number, total: number) => void): Promise<void>;
  publish(filePath: string, meta: PublishMetadata, onProgress?: (sent: number, total: number) => void): Promise<PublishResult>;
  setAlias(name: string, alias: string, version: string): Promise<void>;
  /** Follows the change feed, resuming after `lastEventId`, reconnecting until `signal` aborts. */
  events(opts: { lastEventId?: number; signal: AbortSignal }): AsyncIterable<RegistryEvent>;
}
