// Which tensor buffers may be handed to another thread without a copy: whole, unshared ArrayBuffers.
// Views into pooled or shared buffers (Node's Buffer pool, one body holding many tensors) are cloned instead.
import type { NamedTensors } from '../../wit/types.ts';

export function movableBuffers(tensors: NamedTensors): ArrayBuffer[] {
  const uses = new Map<ArrayBufferLike, number>();
  for (const t of Object.values(tensors)) uses.set(t.data.buffer, (uses.get(t.data.buffer) ?? 0) + 1);
  const out: ArrayBuffer[] = [];
  for (const t of Object.values(tensors)) {
    const b = t.data.buffer;
    if (b instanceof ArrayBuffer && uses.get(b) === 1 && t.data.byteOffset === 0 && t.data.byteLength === b.byteLength) out.push(b);
  }
  return out;
}
