// One error type and one code → HTTP status table, shared by the registry, the model-host and
// the edge, so `retryable` and the status mean the same in every layer.
import type { ErrorCode } from './types.ts';

/** The WIT error codes plus the few service codes HTTP APIs need. */
export type ServiceCode = ErrorCode | 'already-exists' | 'unauthorized' | 'forbidden' | 'conflict';

const STATUS: Record<ServiceCode, number> = {
  'invalid-argument': 400,
  'invalid-encoding': 400,
  timeout: 504,
  'runtime-error': 500,
  'unsupported-operation': 422,
  'too-large': 413,
  'not-found': 404,
  security: 403,
  unknown: 500,
  busy: 503,
  unavailable: 503,
  'already-exists': 409,
  unauthorized: 401,
  forbidden: 403,
  conflict: 409,
};

export function statusOf(code: ServiceCode): number {
  return STATUS[code] ?? 500;
}

export function isRetryable(code: ServiceCode): boolean {
  return code === 'busy' || code === 'unavailable' || code === 'timeout';
}

export function isServiceCode(value: unknown): value is ServiceCode {
  return typeof value === 'string' && Object.hasOwn(STATUS, value);
}

export class EdgennError extends Error {
  readonly code: ServiceCode;
  /** Seconds a client should wait before retrying (sent as Retry-After on 503s). */
  readonly retryAfter?: number;

  constructor(code: ServiceCode, message: string, options?: { cause?: unknown; retryAfter?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EdgennError';
    this.code = code;
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }

  get retryable(): boolean {
    return isRetryable(this.code);
  }

  get status(): number {
    return statusOf(this.code);
  }
}

export interface ErrorBody {
  error: { code: ServiceCode; message: string; retryable: boolean; requestId: string };
}

/** Anything thrown → the one error shape. Unknown errors keep their message but never their stack. */
export function toEdgennError(err: unknown): EdgennError {
  if (err instanceof EdgennError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new EdgennError('unknown', message || 'unexpected error', { cause: err });
}

export function errorBody(err: unknown, requestId: string): ErrorBody {
  const e = toEdgennError(err);
  return { error: { code: e.code, message: e.message, retryable: e.retryable, requestId } };
}

/** Headers that go with an error response: Retry-After on every retryable 503. */
export function errorHeaders(err: EdgennError): Record<string, string> {
  if (err.status === 503) return { 'retry-after': String(err.retryAfter ?? 1) };
  return {};
}
