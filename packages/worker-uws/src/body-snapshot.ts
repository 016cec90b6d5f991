/**
 * Private copies of response bodies (`new Response(bytes)` keeps the bytes as they were when it was
 * built). A fresh 64 KiB copy per response costs more than uWS spends sending it (new pages from the
 * OS each time), while apps mostly send the same buffer again and again: the last copy of each source
 * buffer is kept and handed out again while the source still holds the same bytes. Copies are never
 * written to after they are made, so sharing one between responses is invisible.
 */
const MIN_SHARED_BYTES = 4 * 1024;

/** The last copy of each source (a view: its buffer, offset and length; or a whole ArrayBuffer). */
const lastCopies = new WeakMap<Uint8Array | ArrayBuffer, Uint8Array>();

/** Bytes equal to `source` now, which later changes to `source` do not reach. */
export function snapshotBytes(source: Uint8Array | ArrayBuffer): Uint8Array {
  const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
  const length = bytes.byteLength;
  if (length < MIN_SHARED_BYTES) return freshCopy(bytes);
  const last = lastCopies.get(source);
  if (last !== undefined && last.byteLength === length && Buffer.compare(last, bytes) === 0) return last;
  const copy = freshCopy(bytes);
  lastCopies.set(source, copy);
  return copy;
}

function freshCopy(bytes: Uint8Array): Uint8Array {
  const copy = Buffer.allocUnsafe(bytes.byteLength);
  copy.set(bytes);
  return copy;
}
