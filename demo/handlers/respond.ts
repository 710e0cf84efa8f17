// Responses shared by the demo handlers: the one error shape (with the edge's request id) and the
// PNG body every image handler reads. Web APIs only: bundled into workerd.
import { isRetryable, isServiceCode, statusOf, type ServiceCode } from '../../wit/errors.ts';
import { BadImageError, decodePng, type RgbImage } from './image.ts';

/** The largest request body an image handler reads (16 MiB). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** A failure with a code from the one table; binding errors already carry one. */
export class HandlerError extends Error {
  constructor(
    readonly code: ServiceCode,
    message: string,
  ) {
    super(message);
  }
}

export function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
}

/** `{ error: { code, message, retryable, requestId } }` with the code's status (and Retry-After on 503s). */
export function errorResponse(err: unknown, request: Request): Response {
  const raw = (err as { code?: unknown }).code;
  const code: ServiceCode = err instanceof BadImageError ? 'invalid-encoding' : isServiceCode(raw) ? raw : 'unknown';
  const message = err instanceof Error ? err.message : String(err);
  // The edge's id when it sent one, so the answer can be found in its log.
  const requestId = request.headers.get('x-request-id') ?? crypto.randomUUID();
  const res = json({ error: { code, message, retryable: isRetryable(code), requestId } }, statusOf(code));
  if (statusOf(code) === 503) res.headers.set('retry-after', '1');
  return res;
}

/** The request's body as a decoded PNG, or a HandlerError saying how to send one. */
export async function readPng(request: Request, usage: string): Promise<RgbImage & { alpha: Uint8Array }> {
  if (request.method !== 'POST') throw new HandlerError('invalid-argument', `${request.method} is not supported here: ${usage}`);
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw new HandlerError('too-large', `the body is ${declared} bytes; at most ${MAX_BODY_BYTES} are accepted: send a smaller PNG`);
  const body = new Uint8Array(await request.arrayBuffer());
  if (body.length > MAX_BODY_BYTES) throw new HandlerError('too-large', `the body is ${body.length} bytes; at most ${MAX_BODY_BYTES} are accepted: send a smaller PNG`);
  if (body.length === 0) throw new HandlerError('invalid-argument', `the body is empty: ${usage}`);
  return decodePng(body);
}
