// The env.AI binding, running INSIDE workerd as a wrapped binding's internal module: `run` and
// `loadByName`/`compute`, tensors sent as one binary frame over the deployment's own host socket.
// Web-platform APIs only. Everything it hands the handler is built here, in the worker's realm.
import type { Ai, ErrorCode, Graph, GraphExecutionContext, InferenceError as InferenceErrorShape, NamedTensors, RunOptions } from '../../wit/types.ts';
import { checkOutputNames, DEADLINE_HEADER, decodeFrame, encodeFrame, FRAME_CONTENT_TYPE, FrameError, KEY_HEADER } from '../host-api/frame.ts';

/** The wrapped binding's inner bindings: never visible to the handler. */
interface InnerBindings {
  host: { fetch(url: string, init?: RequestInit): Promise<Response> };
  key: string;
}

/** Per request: the id for logs and the deadline the edge enforces. */
interface Scope {
  requestId?: string;
  deadline?: number;
}

const CODES: readonly string[] = ['invalid-argument', 'invalid-encoding', 'timeout', 'runtime-error', 'unsupported-operation', 'too-large', 'not-found', 'security', 'unknown', 'busy', 'unavailable'];

class InferenceError extends Error implements InferenceErrorShape {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly data: string;
  // `declare`: no own property unless the host sent one.
  declare readonly retryAfter?: number;

  constructor(code: string, message: string, retryAfter?: number) {
    super(message);
    this.name = 'InferenceError';
    this.code = (CODES.includes(code) ? code : 'unknown') as ErrorCode;
    this.retryable = this.code === 'busy' || this.code === 'unavailable' || this.code === 'timeout';
    this.data = message;
    if (typeof retryAfter === 'number') Object.defineProperty(this, 'retryAfter', { value: retryAfter, enumerable: true });
  }
}

function makeAi(inner: InnerBindings, scope: Scope): Ai {
  async function call(path: string, body: Uint8Array | string, contentType: string): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': contentType, [KEY_HEADER]: inner.key };
    if (scope.requestId) headers['x-request-id'] = scope.requestId;
    if (scope.deadline) headers[DEADLINE_HEADER] = String(scope.deadline);
    let res: Response;
    try {
      res = await inner.host.fetch(`http://edgenn-host${path}`, { method: 'POST', headers, body });
    } catch (err) {
      throw new InferenceError('unavailable', `the inference host did not answer (${err instanceof Error ? err.message : String(err)}); retry shortly`, 1);
    }
    if (res.ok) return res;
    let parsed: { error?: { code?: string; message?: string; retryAfter?: number } } = {};
    try {
      parsed = (await res.json()) as typeof parsed;
    } catch {
      // An answer that is not our error shape still becomes a typed error below.
    }
    const e = parsed.error ?? {};
    throw new InferenceError(e.code ?? 'unknown', e.message ?? `the inference host answered HTTP ${res.status}`, e.retryAfter);
  }

  async function run(model: string, inputs: NamedTensors, options?: RunOptions): Promise<NamedTensors> {
    let frame: Uint8Array;
    try {
      if (options !== undefined && (options === null || typeof options !== 'object')) throw new FrameError('invalid-argument', 'the third argument is an options object, e.g. { outputs: [\'y\'] }');
      const outputs = checkOutputNames(options?.outputs);
      frame = encodeFrame(outputs ? { model, outputs } : { model }, inputs);
    } catch (err) {
      if (err instanceof FrameError) throw new InferenceError(err.code, err.message);
      throw err;
    }
    const res = await call('/run', frame, FRAME_CONTENT_TYPE);
    try {
      return decodeFrame(new Uint8Array(await res.arrayBuffer())).tensors;
    } catch (err) {
      throw new InferenceError('invalid-encoding', `the inference host sent an unreadable answer: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async function loadByName(name: string): Promise<Graph> {
    const res = await call('/describe', JSON.stringify({ model: name }), 'application/json');
    const { ref } = (await res.json()) as { ref: string };
    const compute = (inputs: NamedTensors, options?: RunOptions): Promise<NamedTensors> => run(ref, inputs, options);
    const context: GraphExecutionContext = Object.freeze({ compute });
    return Object.freeze({ name: ref, compute, initExecutionContext: () => context });
  }

  return Object.freeze({ run, loadByName });
}

/** workerd calls this once with the inner bindings; the result is `env.AI` before the entry module scopes it per request. */
export default function createAiBinding(inner: InnerBindings): Ai & { forRequest(requestId: string | null, deadline: number): Ai } {
  const root = makeAi(inner, {});
  return Object.freeze({
    ...root,
    forRequest: (requestId: string | null, deadline: number) => makeAi(inner, { ...(requestId ? { requestId } : {}), ...(deadline > 0 ? { deadline } : {}) }),
  });
}
