/** An incremental parser for the responses a server writes on one connection (the kit's side of the wire). */

export interface ParsedResponse {
  version: string;
  status: number;
  reason: string;
  headers: [string, string][];
  body: Buffer;
  /** The status line, as text (for reports). */
  statusLine: string;
}

export type ParseOutcome =
  | { kind: 'response'; response: ParsedResponse; consumed: number }
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string };

const CRLF2 = Buffer.from('\r\n\r\n');

export function headerValue(response: ParsedResponse, name: string): string | undefined {
  const lower = name.toLowerCase();
  return response.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

/** True when the response's Connection header carries `close`. */
export function saysClose(response: ParsedResponse): boolean {
  return response.headers.some(([n, v]) => n.toLowerCase() === 'connection' && /(^|,)\s*close\s*(,|$)/i.test(v));
}

/**
 * Parses one response from the start of `data`. `noBody` for the answer to HEAD; `closed` when the
 * server has closed the connection (a body without length ends there).
 */
export function parseResponse(data: Buffer, noBody: boolean, closed: boolean): ParseOutcome {
  const end = data.indexOf(CRLF2);
  if (end < 0) {
    if (closed) return data.length === 0 ? { kind: 'incomplete' } : { kind: 'invalid', reason: `truncated head ${preview(data)}` };
    return { kind: 'incomplete' };
  }
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const statusLine = lines[0]!;
  const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) return { kind: 'invalid', reason: `not an HTTP/1.x status line: ${preview(data)}` };
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { kind: 'invalid', reason: `bad header line ${JSON.stringify(line)}` };
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  const status = Number(m[2]);
  const response: ParsedResponse = { version: m[1]!, status, reason: m[3] ?? '', headers, body: Buffer.alloc(0), statusLine };
  const bodyStart = end + 4;
  if (noBody || status < 200 || status === 204 || status === 304) return { kind: 'response', response, consumed: bodyStart };

  const te = headerValue(response, 'transfer-encoding');
  if (te && /chunked\s*$/i.test(te)) {
    const decoded = decodeChunked(data, bodyStart);
    if (decoded === null) return closed ? { kind: 'invalid', reason: 'truncated chunked body' } : { kind: 'incomplete' };
    if ('error' in decoded) return { kind: 'invalid', reason: decoded.error };
    response.body = decoded.body;
    return { kind: 'response', response, consumed: decoded.end };
  }
  const cl = headerValue(response, 'content-length');
  if (cl !== undefined) {
    if (!/^\d+$/.test(cl)) return { kind: 'invalid', reason: `bad Content-Length ${JSON.stringify(cl)}` };
    const length = Number(cl);
    if (data.length - bodyStart < length) {
      return closed ? { kind: 'invalid', reason: `body shorter than Content-Length ${length}` } : { kind: 'incomplete' };
    }
    response.body = data.subarray(bodyStart, bodyStart + length);
    return { kind: 'response', response, consumed: bodyStart + length };
  }
  if (!closed) return { kind: 'incomplete' };
  response.body = data.subarray(bodyStart);
  return { kind: 'response', response, consumed: data.length };
}

function decodeChunked(data: Buffer, start: number): { body: Buffer; end: number } | { error: string } | null {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const sizeText = data.subarray(at, lineEnd).toString('latin1').split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return { error: `bad chunk size ${JSON.stringify(sizeText)}` };
    const size = parseInt(sizeText, 16);
    at = lineEnd + 2;
    if (size === 0) {
      // Trailer section: lines until an empty one.
      for (;;) {
        const e = data.indexOf('\r\n', at);
        if (e < 0) return null;
        const empty = e === at;
        at = e + 2;
        if (empty) return { body: Buffer.concat(parts), end: at };
      }
    }
    if (data.length < at + size + 2) return null;
    parts.push(data.subarray(at, at + size));
    at += size + 2;
  }
}

/** A short printable view of bytes for reports. */
export function preview(data: Buffer, max = 80): string {
  const text = data.subarray(0, max).toString('latin1');
  return JSON.stringify(text) + (data.length > max ? `…(${data.length} bytes)` : '');
}
