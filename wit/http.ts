// The one place where errors become HTTP responses, for every Hono app in edgenn:
// request ids on every response, and `{ error: { code, message, retryable, requestId } }` bodies.
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { requestId } from 'hono/request-id';
import { EdgennError, errorBody, errorHeaders, toEdgennError } from './errors.ts';

export type RequestIdVariables = { requestId: string };

/** Request-id middleware: honours a sane incoming `x-request-id`, else makes one. */
export function requestIds(): MiddlewareHandler {
  return requestId({ headerName: 'x-request-id', limitLength: 128 });
}

export function errorResponse(c: Context, err: unknown): Response {
  const e = toEdgennError(err);
  const id = (c.get('requestId' as never) as string | undefined) ?? crypto.randomUUID();
  return c.json(errorBody(e, id), e.status as 400, errorHeaders(e));
}

/** Installs the error shape on an app: thrown errors, unknown routes and Hono's own HTTP errors. */
export function installErrorHandling<A extends Hono<any, any, any>>(app: A): A {
  app.onError((err, c) => {
    // Hono's HTTPException (e.g. from bodyLimit) carries a status; keep it meaningful.
    const status = (err as { status?: number }).status;
    if (!(err instanceof EdgennError) && status === 413) {
      return errorResponse(c, new EdgennError('too-large', 'request body is larger than the configured limit'));
    }
    if (!(err instanceof EdgennError) && typeof status === 'number' && status >= 400 && status < 500) {
      return errorResponse(c, new EdgennError('invalid-argument', err.message || 'bad request'));
    }
    return errorResponse(c, err);
  });
  app.notFound((c) =>
    errorResponse(c, new EdgennError('not-found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}; see the API in README.md`)),
  );
  return app;
}
