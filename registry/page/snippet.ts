// The copy-paste examples on a model page, written from the model's real signature: a handler
// calling env.AI.run with the right input names, types and shapes, a curl line, the deploy line.
import type { Dim, ModelManifest, TensorSpec } from '../manifest.ts';
import type { TensorType } from '../../wit/types.ts';

/** The typed array that carries each element type (wit/types.ts TensorDataOf), and how JSON numbers become elements. */
const ARRAY_OF: Record<TensorType, { ctor: string; map?: string }> = {
  FP16: { ctor: 'Uint16Array' },
  FP32: { ctor: 'Float32Array' },
  FP64: { ctor: 'Float64Array' },
  BF16: { ctor: 'Uint16Array' },
  U8: { ctor: 'Uint8Array' },
  I8: { ctor: 'Int8Array' },
  I16: { ctor: 'Int16Array' },
  I32: { ctor: 'Int32Array' },
  I64: { ctor: 'BigInt64Array', map: 'BigInt' },
  BOOL: { ctor: 'Uint8Array' },
};

/** Inputs up to this many elements get their zeros written out in the curl body. */
const INLINE_ELEMENTS = 16;

export interface Examples {
  handler: string;
  curl: string;
  deploy: string;
  route: string;
}

/** A dynamic dimension becomes 1 in the example: the smallest batch, sequence or count that runs. */
export function exampleDims(shape: Dim[]): number[] {
  return shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
}

export function elementCount(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function formatShape(shape: Dim[]): string {
  return `[${shape.map((d) => String(d)).join(', ')}]`;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;
const key = (name: string) => (IDENT.test(name) ? name : JSON.stringify(name));
const access = (obj: string, name: string) => (IDENT.test(name) ? `${obj}.${name}` : `${obj}[${JSON.stringify(name)}]`);
/** Comments must stay on one line whatever a model file calls its tensors. */
const oneLine = (s: string) => s.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\*\//g, '* /');

function inputLine(spec: TensorSpec): string {
  const dims = exampleDims(spec.shape);
  const n = elementCount(dims);
  const arr = ARRAY_OF[spec.type] ?? ARRAY_OF.FP32;
  const dynamic = spec.shape.filter((d) => typeof d !== 'number' || d < 0).map(String);
  const notes = [
    dynamic.length ? `dynamic ${dynamic.filter((d) => d !== '?' && d !== '').join(', ') || 'dims'}: 1 here` : '',
    spec.type === 'FP16' || spec.type === 'BF16' ? `${spec.type} travels as raw 16-bit words` : '',
  ].filter(Boolean);
  const note = notes.length ? ` (${notes.join('; ')})` : '';
  const source = `${access('body', spec.name)} ?? new Array(${n}).fill(0)`;
  const data = arr.map ? `${arr.ctor}.from(${source}, ${arr.map})` : `${arr.ctor}.from(${source})`;
  return [
    `      // ${oneLine(spec.name)}: ${spec.type} ${spec.shape.length ? oneLine(formatShape(spec.shape)) : 'scalar'}${oneLine(note)}`,
    `      ${key(spec.name)}: { type: '${spec.type}', dims: [${dims.join(', ')}], data: ${data} },`,
  ].join('\n');
}

export function handlerSnippet(m: ModelManifest): string {
  const inputs = m.signature.inputs.map(inputLine).join('\n');
  const outputs = m.signature.outputs.map((o) => `${oneLine(o.name)} ${o.type} ${oneLine(formatShape(o.shape))}`).join(', ');
  // Several outputs: say how to ask for fewer (the others are then neither computed nor sent).
  const first = m.signature.outputs[0]?.name;
  const only = m.signature.outputs.length > 1 && first !== undefined ? `\n    // only need some? pass a third argument to run: { outputs: [${oneLine(JSON.stringify(first))}] }` : '';
  return `// handler.ts: calls the model "${m.name}" by name (pin a version with "${m.name}@${m.version}").
import type { Env } from 'edgenn';

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // JSON body: one flat array of numbers per input; a missing input is sent as zeros.
    const body = (await request.json().catch(() => ({}))) as Record<string, number[] | undefined>;
    const outputs = await env.AI.run('${m.name}', {
${inputs}
    });
    // outputs: ${outputs || 'none declared'}${only}
    const json = Object.fromEntries(
      Object.entries(outputs).map(([name, t]) => [name, { type: t.type, dims: t.dims, data: Array.from(t.data, Number) }]),
    );
    return Response.json(json);
  },
};
`;
}

export function handlerRoute(m: Pick<ModelManifest, 'name'>): string {
  return `/${m.name}`;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function curlExample(m: ModelManifest, baseUrl: string): string {
  const body: Record<string, number[]> = {};
  const omitted: string[] = [];
  for (const spec of m.signature.inputs) {
    const n = elementCount(exampleDims(spec.shape));
    if (n <= INLINE_ELEMENTS) body[spec.name] = new Array(n).fill(0);
    else omitted.push(`# ${oneLine(spec.name)} (${n} values) is left out here: the handler sends zeros; post your own as a flat array.\n`);
  }
  const url = `${baseUrl.replace(/\/+$/, '')}${handlerRoute(m)}`;
  return `${omitted.join('')}curl -sS -X POST ${shellQuote(url)} \\\n  -H 'content-type: application/json' \\\n  -d ${shellQuote(JSON.stringify(body))}`;
}

export function deployLine(m: Pick<ModelManifest, 'name'>): string {
  const handlerName = `${m.name}-api`.slice(0, 63).replace(/-+$/, '');
  return `edgenn deploy handler.ts --name ${handlerName} --route ${shellQuote(handlerRoute(m))} --model ${m.name}`;
}

export function examplesFor(m: ModelManifest, baseUrl: string): Examples {
  return { handler: handlerSnippet(m), curl: curlExample(m, baseUrl), deploy: deployLine(m), route: handlerRoute(m) };
}
