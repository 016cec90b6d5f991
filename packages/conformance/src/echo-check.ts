/** Compares the echo app's answer with what the kit sent. */
import type { EchoView } from './echo/view.js';
import { preview, type ParsedResponse } from './http-response.js';

/** null when the echo matches; else what differs. */
export function compareEcho(response: ParsedResponse, expected: EchoView): string | null {
  if (response.status !== 200) return `${response.statusLine} ${preview(response.body)}`;
  let got: EchoView;
  try {
    got = JSON.parse(response.body.toString('utf8')) as EchoView;
  } catch {
    return `a body that is not the echo JSON: ${preview(response.body)}`;
  }
  if (got.raw === false) return compareNormalised(got, expected);
  // A class that cannot see the case of names (uWS): everything else must still be exact.
  if (got.raw === 'names-lowercased') expected = { ...expected, headers: expected.headers.map(([n, v]) => [n.toLowerCase(), v]) };
  const diffs: string[] = [];
  for (const key of ['method', 'path', 'query', 'version', 'body_b64'] as const) {
    if (got[key] !== expected[key]) diffs.push(`${key} ${JSON.stringify(got[key])} (sent ${JSON.stringify(expected[key])})`);
  }
  for (const key of ['headers', 'trailers'] as const) {
    if (JSON.stringify(got[key]) !== JSON.stringify(expected[key])) diffs.push(`${key} ${short(got[key])} (sent ${short(expected[key])})`);
  }
  return diffs.length === 0 ? null : `${diffs.join('; ')}${got.raw === 'names-lowercased' ? ' [header names lower-cased by the class]' : ''}`;
}

/**
 * For a class that gives the app no raw view (`raw: false`): names compared lower-cased, repeats
 * joined with ", " (as a fetch `Headers` does), order ignored, the target as a URL would normalise it;
 * trailers and the version are not visible there.
 */
function compareNormalised(got: EchoView, expected: EchoView): string | null {
  const diffs: string[] = [];
  if (got.method !== expected.method) diffs.push(`method ${JSON.stringify(got.method)} (sent ${JSON.stringify(expected.method)})`);
  const target = (v: EchoView): string => {
    const t = v.query === null ? v.path : `${v.path}?${v.query}`;
    try {
      const url = new URL(t, 'http://kit.invalid');
      return url.pathname + url.search;
    } catch {
      return t;
    }
  };
  if (target(got) !== target(expected)) diffs.push(`target ${JSON.stringify(target(got))} (sent ${JSON.stringify(target(expected))})`);
  if (got.body_b64 !== expected.body_b64) diffs.push('body differs');
  const norm = (list: [string, string][]): string => {
    const map = new Map<string, string[]>();
    for (const [n, v] of list) map.set(n.toLowerCase(), [...(map.get(n.toLowerCase()) ?? []), v]);
    return JSON.stringify([...map].map(([n, vs]) => [n, vs.join(', ')]).sort());
  };
  if (norm(got.headers) !== norm(expected.headers)) diffs.push(`headers ${short(got.headers)} (sent ${short(expected.headers)})`);
  return diffs.length === 0 ? null : `${diffs.join('; ')} [echo view not raw]`;
}

function short(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}
