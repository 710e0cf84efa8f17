// The deployment's model allow-list: which manifest reference a handler's call means, or a
// `security` error that names the manifest key to add.
import { EdgennError } from '../../wit/errors.ts';
import { parseRef } from '../../registry/manifest.ts';

/**
 * A call's ref must equal a listed ref, or be the bare name of exactly one listed ref, which it
 * then means (manifest `ocr@stable`, call `ocr` → `ocr@stable`).
 */
export function resolveAllowed(call: unknown, allowed: readonly string[]): string {
  if (typeof call !== 'string' || call.length === 0 || call.length > 200) {
    throw new EdgennError('invalid-argument', 'the model must be a name such as "mobilenet", "mobilenet@2.0.0" or "mobilenet@stable"');
  }
  if (allowed.includes(call)) return call;
  const ref = parseRef(call);
  const shown = JSON.stringify(call).slice(1, -1);
  if (ref && ref.version === undefined && ref.alias === undefined) {
    const same = allowed.filter((a) => parseRef(a)?.name === ref.name);
    if (same.length === 1) return same[0]!;
    if (same.length > 1) {
      throw new EdgennError('security', `model '${shown}' is ambiguous: this handler's manifest lists ${same.map((s) => `'${s}'`).join(', ')}; call one of them by its full reference`);
    }
  }
  throw new EdgennError('security', `model '${shown}' is not in this handler's allow-list; add '${shown}' to \`models\` in the handler manifest (edgenn deploy --model ${shown})`);
}
