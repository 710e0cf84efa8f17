// The registry's bad-input corpus: bad model files, names, versions, aliases and JSON bodies, each
// sent byte for byte over real HTTP, each answered 4xx with a code and a message that says what to
// do — and the store (index.json, blobs, tmp/, events log, listing) identical before and after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { absurdDimsModel, addModel, protobufNotAModel, unsupportedOpModel } from '../fixtures/onnx-models.ts';
import { startTestRegistry, type TestRegistry } from '../integration/registry-harness.ts';
import { rawRequest, snapshotStore } from './harness.ts';

let h: TestRegistry;
beforeAll(async () => {
  h = await startTestRegistry({ maxUploadBytes: 1024 * 1024 });
  expect((await h.publish('good', '1.0.0', addModel())).status).toBe(201);
});
afterAll(async () => {
  await h?.close();
});

interface Case {
  label: string;
  method: 'GET' | 'PUT' | 'DELETE';
  /** Sent exactly as written: percent-escapes are not normalised away. */
  path: string;
  body?: Uint8Array | string;
  status: number;
  code: string;
  /** A phrase of the advice the message must carry. */
  hint: RegExp;
}

// A fixed pseudo-random byte string (no Math.random: the corpus is the same on every run).
const noise = Buffer.from(Array.from({ length: 8192 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 13) & 0xff));
const model = addModel({ bias: 7 });
const enc = encodeURIComponent;
const cyrillicA = '\u0430'; // looks exactly like Latin 'a'
const publish = (name: string, version = '1.0.0') => `/v1/models/${name}/versions/${version}`;
const alias = (name: string, a: string) => `/v1/models/${name}/aliases/${a}`;
const deep = (levels: number, inner: string) => `${'['.repeat(levels)}${inner}${']'.repeat(levels)}`;
const NAME_RULE = /lowercase DNS label/;
const SEMVER_RULE = /semantic version.*e\.g\./;

const modelFiles: Case[] = [
  { label: 'random bytes', method: 'PUT', path: publish('bad'), body: noise, status: 400, code: 'invalid-encoding', hint: /not an ONNX model.*upload the \.onnx file/ },
  { label: 'a truncated model', method: 'PUT', path: publish('bad'), body: model.subarray(0, Math.floor(model.length / 2)), status: 400, code: 'invalid-encoding', hint: /truncated|not an ONNX model/ },
  { label: 'an empty file', method: 'PUT', path: publish('bad'), body: new Uint8Array(0), status: 400, code: 'invalid-encoding', hint: /empty/ },
  { label: 'valid protobuf that is not a model', method: 'PUT', path: publish('bad'), body: protobufNotAModel(), status: 400, code: 'invalid-encoding', hint: /no graph|not an ONNX model/ },
  { label: 'an unsupported operator', method: 'PUT', path: publish('bad'), body: unsupportedOpModel(), status: 422, code: 'unsupported-operation', hint: /NoSuchOperator/ },
  { label: 'absurd declared dimensions', method: 'PUT', path: publish('bad'), body: absurdDimsModel(), status: 413, code: 'too-large', hint: /smaller or dynamic dimensions/ },
  { label: 'a file over the upload limit', method: 'PUT', path: publish('bad'), body: new Uint8Array(2 * 1024 * 1024), status: 413, code: 'too-large', hint: /max-upload-bytes|smaller model/ },
];

const names: Case[] = [
  { label: "name '../x' (escaped slash)", method: 'PUT', path: publish('..%2Fx'), body: model, status: 400, code: 'invalid-argument', hint: NAME_RULE },
  // The URL parser treats an escaped '..' segment as '..' and resolves it away: no route, 404.
  { label: "name '%2e%2e' (escaped dots)", method: 'PUT', path: publish('%2e%2e'), body: model, status: 404, code: 'not-found', hint: /no route for PUT \/v1\/versions/ },
  { label: "name '%2E%2E%2F%2E%2E%2Fetc'", method: 'PUT', path: publish('%2E%2E%2F%2E%2E%2Fetc'), body: model, status: 400, code: 'invalid-argument', hint: NAME_RULE },
  { label: 'a Cyrillic look-alike name', method: 'PUT', path: publish(enc(`go${cyrillicA}d`)), body: model, status: 400, code: 'invalid-argument', hint: NAME_RULE },
  { label: 'a name with a fullwidth letter', method: 'PUT', path: publish(enc('ｇood')), body: model, status: 400, code: 'invalid-argument', hint: NAME_RULE },
  { label: 'a 300-character name', method: 'PUT', path: publish('a'.repeat(300)), body: model, status: 400, code: 'invalid-argument', hint: /300 characters/ },
  { label: 'an uppercase name', method: 'PUT', path: publish('Good'), body: model, status: 400, code: 'invalid-argument', hint: NAME_RULE },
  { label: 'a name with a NUL byte', method: 'PUT', path: publish('good%00'), body: model, status: 400, code: 'invalid-argument', hint: NAME_RULE },
  { label: 'an empty name', method: 'PUT', path: publish(''), body: model, status: 404, code: 'not-found', hint: /no route.*README/ },
  { label: 'a blank name', method: 'PUT', path: publish('%20'), body: model, status: 400, code: 'invalid-argument', hint: NAME_RULE },
  { label: "version '../x'", method: 'PUT', path: publish('good', '..%2Fx'), body: model, status: 400, code: 'invalid-argument', hint: SEMVER_RULE },
  { label: "version '%2e%2e'", method: 'PUT', path: publish('good', '%2e%2e'), body: model, status: 404, code: 'not-found', hint: /no route/ },
  { label: 'a version with a Cyrillic pre-release', method: 'PUT', path: publish('good', enc(`1.0.0-${cyrillicA}`)), body: model, status: 400, code: 'invalid-argument', hint: SEMVER_RULE },
  { label: 'a 300-character version', method: 'PUT', path: publish('good', `1.0.0-${'a'.repeat(294)}`), body: model, status: 400, code: 'invalid-argument', hint: SEMVER_RULE },
  { label: 'a version with a leading zero', method: 'PUT', path: publish('good', '01.0.0'), body: model, status: 400, code: 'invalid-argument', hint: SEMVER_RULE },
  { label: 'an empty version', method: 'PUT', path: publish('good', ''), body: model, status: 404, code: 'not-found', hint: /no route/ },
  { label: "alias '../x'", method: 'PUT', path: alias('good', '..%2Fx'), body: '{"version":"1.0.0"}', status: 400, code: 'invalid-argument', hint: /alias .* is not allowed.*e\.g\./ },
  { label: 'a Cyrillic look-alike alias', method: 'PUT', path: alias('good', enc(`st${cyrillicA}ble`)), body: '{"version":"1.0.0"}', status: 400, code: 'invalid-argument', hint: /alias .* is not allowed/ },
  { label: 'a 300-character alias', method: 'PUT', path: alias('good', 'a'.repeat(300)), body: '{"version":"1.0.0"}', status: 400, code: 'invalid-argument', hint: /alias .* is not allowed/ },
  { label: "delete of '%2e%2e'", method: 'DELETE', path: publish('%2e%2e'), status: 404, code: 'not-found', hint: /no route/ },
  { label: "delete of '%2e%2e%2e' (not a dot segment)", method: 'DELETE', path: publish('%2e%2e%2e'), status: 400, code: 'invalid-argument', hint: NAME_RULE },
  { label: 'delete of a look-alike name', method: 'DELETE', path: publish(enc(`go${cyrillicA}d`)), status: 400, code: 'invalid-argument', hint: NAME_RULE },
  { label: "resolve of '..%2F..%2Fx'", method: 'GET', path: '/v1/resolve/..%2F..%2Fx', status: 400, code: 'invalid-argument', hint: NAME_RULE },
  { label: 'resolve of a look-alike ref', method: 'GET', path: `/v1/resolve/${enc(`go${cyrillicA}d@latest`)}`, status: 400, code: 'invalid-argument', hint: NAME_RULE },
  { label: 'resolve of a bad selector', method: 'GET', path: '/v1/resolve/good@..%2Fx', status: 400, code: 'invalid-argument', hint: /name@version \(semver\) or name@alias/ },
  { label: 'a blob path traversal', method: 'GET', path: '/v1/blobs/..%2F..%2Findex.json', status: 400, code: 'invalid-argument', hint: /sha256:<64 lowercase hex digits>/ },
];

const setAlias = alias('good', 'stable');
const json: Case[] = [
  { label: 'invalid JSON', method: 'PUT', path: setAlias, body: '{"version":', status: 400, code: 'invalid-argument', hint: /must be JSON/ },
  { label: 'JSON nested 10 000 levels', method: 'PUT', path: setAlias, body: `{"version":${deep(10_000, '"1.0.0"')}}`, status: 413, code: 'too-large', hint: /small JSON body/ },
  { label: 'JSON nested 5 000 levels (under the size limit)', method: 'PUT', path: setAlias, body: `{"version":${deep(5_000, '"1.0.0"')}}`, status: 400, code: 'invalid-argument', hint: /\{"version":"<semver>"\}/ },
  { label: 'a huge number (1e400)', method: 'PUT', path: setAlias, body: '{"version":1e400}', status: 400, code: 'invalid-argument', hint: /\{"version":"<semver>"\}/ },
  { label: 'a top-level array', method: 'PUT', path: setAlias, body: '["1.0.0"]', status: 400, code: 'invalid-argument', hint: /\{"version":"<semver>"\}/ },
  { label: 'a top-level string', method: 'PUT', path: setAlias, body: '"1.0.0"', status: 400, code: 'invalid-argument', hint: /\{"version":"<semver>"\}/ },
  { label: 'top-level null', method: 'PUT', path: setAlias, body: 'null', status: 400, code: 'invalid-argument', hint: /\{"version":"<semver>"\}/ },
  { label: 'a version that does not exist', method: 'PUT', path: setAlias, body: '{"version":"9.9.9"}', status: 404, code: 'not-found', hint: /versions: 1\.0\.0/ },
  { label: 'a __proto__ key', method: 'PUT', path: setAlias, body: '{"__proto__":{"version":"1.0.0"}}', status: 400, code: 'invalid-argument', hint: /\{"version":"<semver>"\}/ },
  { label: 'a non-JSON body of 1 MiB', method: 'PUT', path: setAlias, body: 'x'.repeat(1024 * 1024), status: 413, code: 'too-large', hint: /small JSON body/ },
];

describe.each([
  ['model files', modelFiles],
  ['names, versions and aliases', names],
  ['JSON bodies', json],
] as const)('bad %s', (_group, cases) => {
  it.each(cases.map((c) => [c.label, c] as const))('refuses %s with a 4xx and changes nothing', async (_label, c) => {
    const before = await snapshotStore(h.dataDir);
    const listBefore = await h.json('/v1/models');
    const headers: Record<string, string> = { ...h.auth };
    if (c.body !== undefined) headers['content-length'] = String(Buffer.byteLength(c.body));
    const res = await rawRequest(h.url, c.method, c.path, headers, c.body);
    const body = JSON.parse(res.body) as { error: { code: string; message: string; retryable: boolean; requestId: string } };
    expect(res.status, res.body).toBe(c.status);
    expect(body.error.code).toBe(c.code);
    expect(body.error.retryable).toBe(false);
    expect(body.error.requestId).toBeTruthy();
    expect(body.error.message).toMatch(c.hint);
    expect(await snapshotStore(h.dataDir)).toEqual(before);
    expect(await h.json('/v1/models')).toMatchObject({ status: 200, body: listBefore.body });
  });
});

it('still serves and accepts good input after the whole corpus', async () => {
  expect((await h.publish('good', '1.1.0', addModel({ bias: 2 }))).status).toBe(201);
  expect((await h.json('/v1/models/good')).body.aliases).toEqual({ latest: '1.1.0' });
});
