/** What the echo app answers: the request as the worker class handed it to the app. */
export interface EchoView {
  method: string;
  /** The request-target up to the first `?`, undecoded. */
  path: string;
  /** The request-target after the first `?` (undecoded), or null when it has no `?`. */
  query: string | null;
  version: string;
  /** [name, value] pairs as received: order, case and repeats kept; one character per received byte. */
  headers: [string, string][];
  trailers: [string, string][];
  body_b64: string;
  /**
   * False when the class offers the app no raw view: names, order, repeats or the target may be
   * normalised. `'names-lowercased'`: raw, except that the class cannot see the case of header names.
   */
  raw: boolean | 'names-lowercased';
}

export function splitTarget(target: string): { path: string; query: string | null } {
  const at = target.indexOf('?');
  return at < 0 ? { path: target, query: null } : { path: target.slice(0, at), query: target.slice(at + 1) };
}

/** [name, value, name, value, …] → [[name, value], …]. */
export function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

export function echoBody(view: EchoView): string {
  return JSON.stringify(view);
}
