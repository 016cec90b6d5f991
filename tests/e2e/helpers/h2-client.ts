import http2, { type ClientHttp2Session, type SecureClientSessionOptions } from 'node:http2';

export interface H2Response {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

export function h2Connect(url: string, options: SecureClientSessionOptions = {}): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, options);
    session.once('connect', () => {
      session.removeListener('error', reject);
      session.on('error', () => {}); // reported through the streams
      resolve(session);
    });
    session.once('error', reject);
  });
}

/** One request on `session`; rejects with the stream's error. */
export function h2Request(session: ClientHttp2Session, path: string, { method = 'GET', headers = {}, body }: { method?: string; headers?: http2.OutgoingHttpHeaders; body?: string } = {}): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': method, ':path': path, ...headers }, { endStream: body === undefined });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let text = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body: text }));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

export async function h2Get(url: string, path: string, options: SecureClientSessionOptions = {}): Promise<H2Response> {
  const session = await h2Connect(url, options);
  try {
    return await h2Request(session, path);
  } finally {
    session.close();
  }
}

export interface H2LoopResult {
  ok: number;
  failed: number;
  /**
   * Requests sent again because they were never processed, as RFC 9113 §8.7 allows: `notSent`, the
   * client refused to open them on a connection that had received GOAWAY; `refused`, the server
   * refused them (REFUSED_STREAM, or past a GOAWAY's last stream id).
   */
  retried: { notSent: number; refused: number };
  errors: string[];
  pids: Set<number>;
  sessions: number;
}

/** How node reports a request that was never processed: not sent at all, or refused by the server; null otherwise. */
function unprocessed(err: unknown): 'notSent' | 'refused' | null {
  const e = err as { code?: string; message?: string };
  if (e.code === 'ERR_HTTP2_GOAWAY_SESSION' || e.code === 'ERR_HTTP2_INVALID_SESSION') return 'notSent';
  return /REFUSED_STREAM/.test(e.message ?? '') ? 'refused' : null;
}

/**
 * `connections` HTTP/2 connections, each with `streams` concurrent request loops on `path` (which answers
 * with the worker's pid), until `stop` resolves; a connection that gets GOAWAY is replaced. Every failure
 * is counted. Bounded by `maxMs`.
 */
export async function h2ClientLoop(url: string, stop: Promise<unknown>, { connections = 2, streams = 4, path = '/pid', maxMs = 60_000 } = {}): Promise<H2LoopResult> {
  const result: H2LoopResult = { ok: 0, failed: 0, retried: { notSent: 0, refused: 0 }, errors: [], pids: new Set(), sessions: 0 };
  let stopped = false;
  void stop.finally(() => (stopped = true));
  const deadline = Date.now() + maxMs;
  const connection = async (): Promise<void> => {
    let session: ClientHttp2Session | null = null;
    let connecting: Promise<ClientHttp2Session> | null = null;
    // The loops of one connection share it: the first to find it gone opens the next one.
    const current = async (): Promise<ClientHttp2Session> => {
      if (session && !session.closed && !session.destroyed) return session;
      connecting ??= h2Connect(url).then((s) => {
        session = s;
        result.sessions++;
        return s;
      }).finally(() => (connecting = null));
      return connecting;
    };
    const loop = async (): Promise<void> => {
      while (!stopped && Date.now() < deadline) {
        let s: ClientHttp2Session;
        try {
          s = await current();
        } catch (err) {
          result.failed++;
          result.errors.push(`connect: ${(err as { code?: string }).code ?? (err as Error).message}`);
          continue;
        }
        try {
          const res = await h2Request(s, path);
          if (res.status === 200) {
            result.ok++;
            result.pids.add(Number(res.body));
          } else {
            result.failed++;
            result.errors.push(`status ${res.status}`);
          }
        } catch (err) {
          const kind = unprocessed(err);
          if (kind) {
            result.retried[kind]++;
            continue;
          }
          result.failed++;
          result.errors.push(`${(err as { code?: string }).code ?? ''} ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: streams }, loop));
    (session as ClientHttp2Session | null)?.close();
  };
  await Promise.all(Array.from({ length: connections }, connection));
  return result;
}
