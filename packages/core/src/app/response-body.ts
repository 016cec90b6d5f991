/** The in-memory body of a native Response: its `source` is what the app passed, `length` its size in bytes. */
export interface InMemoryBody {
  readonly source: string | Uint8Array;
  readonly length: number;
}

interface InternalBody {
  source: unknown;
  length: number | null;
  stream: unknown;
}

/**
 * Node's undici (Node 20/22) keeps a Response's body in an own symbol-keyed state, with the original
 * `source` (a string or a Uint8Array for string, JSON, ArrayBuffer and typed-array bodies) next to
 * the stream made from it. Sending the source directly skips the stream: no reader, no reads, no
 * promises (~10 µs per response). Found and verified once, on the first response (touching `Response`
 * at import would load Node's undici in every process, ~100 ms of start-up); undefined elsewhere
 * (Node 24+), where bodies go through the stream path. null: not probed yet.
 */
let responseStateSlot: symbol | undefined | null = null;

function findResponseStateSlot(): symbol | undefined {
  try {
    const text = 'probe \u2713';
    const probe = new Response(text) as Response & Record<symbol, { body?: InternalBody } | undefined>;
    for (const key of Object.getOwnPropertySymbols(probe)) {
      const body = probe[key]?.body;
      if (body?.source === text && body.length === Buffer.byteLength(text) && body.stream === probe.body) return key;
    }
  } catch {
    // not this runtime
  }
  return undefined;
}

/**
 * The in-memory body of a native Response that nobody has started reading, or undefined (another
 * runtime, a streamed body, a body already read): then read `response.body` as a stream.
 */
/**
 * Finds the slot now, with the Response constructor the global holds at this moment. A worker class that
 * replaces the global `Response` (uws's light one) calls it first: the probe must see Node's own.
 */
export function probeResponseBodySlot(): void {
  if (responseStateSlot === null) responseStateSlot = findResponseStateSlot();
}

export function inMemoryResponseBody(response: Response): InMemoryBody | undefined {
  if (responseStateSlot === null) responseStateSlot = findResponseStateSlot();
  if (responseStateSlot === undefined) return undefined;
  const body = (response as Response & Record<symbol, { body?: InternalBody | null } | undefined>)[responseStateSlot]?.body;
  if (body === undefined || body === null) return undefined;
  const { source, stream } = body;
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) return undefined;
  if (typeof body.length !== 'number' || stream !== response.body || response.bodyUsed || (stream as ReadableStream).locked) {
    return undefined;
  }
  return body as InMemoryBody;
}
