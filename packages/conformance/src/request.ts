/** Requests as data: serialised to exact bytes, and the echo the app should answer with. */
import { splitTarget, type EchoView } from './echo/view.js';

export interface Chunk {
  data: Buffer | string;
  /** Chunk extension text after the size, e.g. `;name=value`. */
  ext?: string;
}

export interface RequestSpec {
  method: string;
  target: string;
  version?: '1.1' | '1.0';
  headers: [string, string][];
  body?: Buffer | string;
  /** A chunked body (the headers must say `Transfer-Encoding: chunked`). */
  chunks?: Chunk[];
  trailers?: [string, string][];
}

const latin1 = (s: Buffer | string): Buffer => (typeof s === 'string' ? Buffer.from(s, 'latin1') : s);

export function serialize(spec: RequestSpec): Buffer {
  const head = `${spec.method} ${spec.target} HTTP/${spec.version ?? '1.1'}\r\n${spec.headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  const parts: Buffer[] = [Buffer.from(head, 'latin1')];
  if (spec.chunks) {
    for (const chunk of spec.chunks) {
      const data = latin1(chunk.data);
      parts.push(Buffer.from(`${data.length.toString(16)}${chunk.ext ?? ''}\r\n`, 'latin1'), data, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`0\r\n${(spec.trailers ?? []).map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`, 'latin1'));
  } else if (spec.body !== undefined) {
    parts.push(latin1(spec.body));
  }
  return Buffer.concat(parts);
}

export function bodyOf(spec: RequestSpec): Buffer {
  if (spec.chunks) return Buffer.concat(spec.chunks.map((c) => latin1(c.data)));
  return spec.body === undefined ? Buffer.alloc(0) : latin1(spec.body);
}

export function expectedEcho(spec: RequestSpec): EchoView {
  return {
    method: spec.method,
    ...splitTarget(spec.target),
    version: spec.version ?? '1.1',
    headers: spec.headers.map(([n, v]) => [n, v]),
    trailers: (spec.trailers ?? []).map(([n, v]) => [n, v]),
    body_b64: bodyOf(spec).toString('base64'),
    raw: true,
  };
}

/** A GET with a Host header: the normal request. */
export function simpleGet(target = '/', extra: [string, string][] = []): RequestSpec {
  return { method: 'GET', target, headers: [['Host', '127.0.0.1'], ...extra] };
}
