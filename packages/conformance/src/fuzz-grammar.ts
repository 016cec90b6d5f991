/**
 * A grammar-based request generator for the fuzz group: valid requests from RFC 9112's grammar
 * (methods, targets, tokens, field values, Content-Length and chunked bodies with extensions and
 * trailers), malformed ones from a list of mutations each of which breaks a MUST, and blind byte
 * mutations. Seeded, so a run is reproducible with `--seed`.
 */
import { expectedEcho, serialize, type Chunk, type RequestSpec } from './request.js';
import type { EchoView } from './echo/view.js';

export type FuzzKind = 'valid' | 'malformed' | 'mutated';

export interface FuzzCase {
  kind: FuzzKind;
  /** What the generator did (the mutation's name). */
  label: string;
  bytes: Buffer;
  /** For valid cases: the echo the app must answer with. */
  echo?: EchoView;
}

/** mulberry32: a small, good-enough seeded PRNG. */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  string(alphabet: string, min: number, max: number): string {
    let s = '';
    for (let n = this.int(min, max); n > 0; n--) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }
}

const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGIT = '0123456789';
const TCHAR = `${ALPHA}${DIGIT}!#$%&'*+-.^_\`|~`;
const PCHAR = `${ALPHA}${DIGIT}-._~!$&'()*+,;=:@`;
const QCHAR = `${PCHAR}/?`;
const VCHAR = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
const OBS_TEXT = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i)).join('');
/** Separators and controls that may not appear in a field name (not ':', which would end the name). */
const NOT_TCHAR = '"(),/;<=>?@[\\]{} \x00\x01\x7f\xe9';
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
/** Names the generator must not produce at random: they change framing or routing. */
const RESERVED = /^(host|content-length|transfer-encoding|connection|expect|upgrade|te|trailer|keep-alive|proxy-connection|x-forwarded-.*|forwarded|content-type)$/i;

function pctEncoded(r: Random): string {
  return `%${r.pick([...'0123456789ABCDEFabcdef'])}${r.pick([...'0123456789ABCDEF'])}`;
}

function target(r: Random): string {
  let path = '';
  for (let n = r.int(0, 4); n >= 0; n--) {
    path += '/';
    for (let k = r.int(0, 8); k > 0; k--) path += r.chance(0.1) ? pctEncoded(r) : r.pick([...PCHAR]);
  }
  if (r.chance(0.4)) path += `?${r.string(QCHAR, 0, 20)}`;
  return path;
}

function fieldValue(r: Random): string {
  if (r.chance(0.1)) return '';
  const inner = `${VCHAR}${VCHAR} \t${r.chance(0.2) ? OBS_TEXT : ''}`;
  const middle = r.string(inner, 0, 30);
  // field-value starts and ends with a visible character (OWS around it is not part of it).
  const edge = (): string => r.pick([...VCHAR]);
  return middle.length === 0 ? edge() : `${edge()}${middle}${edge()}`;
}

function fieldName(r: Random): string {
  for (;;) {
    const name = `${r.pick([...ALPHA])}${r.string(TCHAR, 0, 15)}`;
    if (!RESERVED.test(name)) return name;
  }
}

/** A valid request: random method, target, fields and (sometimes) a body. */
export function validRequest(r: Random): RequestSpec {
  const method = r.pick(METHODS);
  const headers: [string, string][] = [];
  const fields: [string, string][] = Array.from({ length: r.int(0, 12) }, () => [fieldName(r), fieldValue(r)]);
  headers.push(['Host', r.pick(['127.0.0.1', 'localhost:8000', 'example.test'])], ...fields);
  const spec: RequestSpec = { method, target: target(r), headers };
  const bodyKind = method === 'GET' || method === 'OPTIONS' ? r.pick(['none', 'none', 'length']) : r.pick(['none', 'length', 'chunked']);
  const bodyBytes = (): Buffer => Buffer.from(Array.from({ length: r.int(0, 64) }, () => r.int(0, 255)));
  if (bodyKind === 'length') {
    const body = bodyBytes();
    headers.splice(r.int(1, headers.length), 0, ['Content-Length', String(body.length)]);
    spec.body = body;
  } else if (bodyKind === 'chunked') {
    headers.splice(r.int(1, headers.length), 0, ['Transfer-Encoding', 'chunked']);
    spec.chunks = Array.from({ length: r.int(0, 4) }, (): Chunk => {
      const data = bodyBytes();
      return data.length === 0 ? { data: Buffer.from('x') } : { data, ...(r.chance(0.3) ? { ext: `;${r.string(TCHAR, 1, 6)}=${r.string(TCHAR, 1, 6)}` } : {}) };
    });
    if (r.chance(0.3)) spec.trailers = Array.from({ length: r.int(1, 2) }, () => [fieldName(r), fieldValue(r)] as [string, string]);
  }
  return spec;
}

type Mutation = (r: Random, spec: RequestSpec) => Buffer | null;

const text = (spec: RequestSpec): string => serialize(spec).toString('latin1');
const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const withHeader = (spec: RequestSpec, name: string, value: string, at?: number): RequestSpec => {
  const headers = [...spec.headers];
  headers.splice(at ?? headers.length, 0, [name, value]);
  return { ...spec, headers };
};
/** A request with a Content-Length body of 5 bytes. */
const withBody = (spec: RequestSpec): RequestSpec => ({ ...spec, chunks: undefined, trailers: undefined, headers: spec.headers.filter(([n]) => !/^(content-length|transfer-encoding)$/i.test(n)), body: 'hello' });

/** Each breaks a MUST of RFC 9112/9110: the server must not answer 2xx. */
const MALFORMED_MUTATIONS: Record<string, Mutation> = {
  'space-before-colon': (r, spec) => latin1(text(withHeader(spec, `X-Fuzz${r.pick([' ', '\t'])}`, 'v'))),
  'bad-field-name': (r, spec) => latin1(text(withHeader(spec, `X-F${r.pick([...NOT_TCHAR])}z`, 'v'))),
  'bad-content-length': (r, spec) => {
    const b = withBody(spec);
    return latin1(text(withHeader(b, 'Content-Length', r.pick(['+5', '-5', '0x5', '5a', '5, 6', '1 0', '', 'five', '99999999999999999999999']))));
  },
  'conflicting-content-length': (r, spec) => {
    const b = withBody(spec);
    return latin1(text(withHeader(withHeader(b, 'Content-Length', '5'), 'Content-Length', String(r.int(6, 9)))));
  },
  'chunked-not-final': (r, spec) => {
    const b = { ...withBody(spec), body: '5\r\nhello\r\n0\r\n\r\n' };
    return latin1(text(withHeader(b, 'Transfer-Encoding', r.pick(['chunked, gzip', 'chunked, identity', 'gzip', 'identity']))));
  },
  'bad-chunk-size': (r, spec) => {
    const b = { ...withBody(spec), body: `${r.pick(['z', 'g5', '0x5', '-5', '5 5', 'fffffffffffffffffffff'])}\r\nhello\r\n0\r\n\r\n` };
    return latin1(text(withHeader(b, 'Transfer-Encoding', 'chunked')));
  },
  'chunked-bare-lf': (_r, spec) => {
    const b = { ...withBody(spec), body: '5\nhello\n0\n\n' };
    return latin1(text(withHeader(b, 'Transfer-Encoding', 'chunked')));
  },
  'ctl-in-target': (r, spec) => latin1(text({ ...spec, target: `${spec.target}${r.pick(['\x00', '\x01', '\x7f', ' x'])}` })),
  'bad-version': (r, spec) => latin1(text(spec).replace(/HTTP\/1\.1\r\n/, `${r.pick(['HTTP/2.0', 'HTTP/0.9', 'http/1.1', 'HTTP/1', 'HTTP/1.1.1', 'HTTP/11', 'HTTPS/1.1'])}\r\n`)),
  'duplicate-host': (_r, spec) => latin1(text(withHeader(spec, 'Host', 'other.example'))),
  'missing-host': (_r, spec) => latin1(text({ ...spec, headers: spec.headers.filter(([n]) => n !== 'Host') })),
  'obs-fold-in-host': (_r, spec) => latin1(text(spec).replace(/Host: ([^\r]*)\r\n/, 'Host: $1\r\n folded\r\n').replace(/^/, '')),
};

/** The ways a valid request is blindly damaged: the outcome is unknown, only crashes and hangs count. */
function blindMutation(r: Random, bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const at = r.int(0, Math.max(0, out.length - 1));
  switch (r.int(0, 3)) {
    case 0: out[at] = r.int(0, 255); return out;
    case 1: return Buffer.concat([out.subarray(0, at), Buffer.from([r.int(0, 255)]), out.subarray(at)]);
    case 2: return Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
    default: return Buffer.concat([out.subarray(0, at), Buffer.from(r.pick(['\r\n', '\n', '\r', '\0', ':', ' ', '\r\n\r\n']), 'latin1'), out.subarray(at)]);
  }
}

export function generate(seed: number, count: number): FuzzCase[] {
  const r = new Random(seed);
  const names = Object.keys(MALFORMED_MUTATIONS);
  const cases: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const spec = validRequest(r);
    const roll = r.next();
    if (roll < 0.4) {
      cases.push({ kind: 'valid', label: 'valid', bytes: serialize(spec), echo: expectedEcho(spec) });
    } else if (roll < 0.8) {
      const name = r.pick(names);
      // The obs-fold mutation needs the Host line where the regex finds it; the others always apply.
      const bytes = MALFORMED_MUTATIONS[name]!(r, { ...spec, headers: spec.headers.filter(([n]) => !/^(content-length|transfer-encoding)$/i.test(n)), chunks: undefined, trailers: undefined, body: undefined });
      cases.push({ kind: 'malformed', label: name, bytes: bytes! });
    } else {
      cases.push({ kind: 'mutated', label: 'byte-mutation', bytes: blindMutation(r, serialize(spec)) });
    }
  }
  return cases;
}
