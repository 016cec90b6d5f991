import net from 'node:net';

export interface RawResponse {
  status: number;
  head: string;
  body: string;
  /** True when the server closed the connection. */
  closed: boolean;
}

/** Sends raw bytes and reads until the server closes the connection (bounded by `timeoutMs`). */
export function rawRequest(port: number, data: string | Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(data));
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got: ${JSON.stringify(text)}`));
    }, timeoutMs);
    socket.setEncoding('latin1').on('data', (d: string) => (text += d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body, closed: true });
    });
  });
}

export interface Exchange {
  /** The final (non-1xx) status; 0 when none came. */
  status: number;
  head: string;
  /** The body of the final response (by its Content-Length), latin1. */
  body: string;
  /** The server closed the connection (within `closeWithinMs` of a complete response). */
  closed: boolean;
  /** Nothing at all came back before the close. */
  silent: boolean;
}

/**
 * Sends raw bytes (latin1) and reads one complete response: its head, its Content-Length body, then
 * whether the server closes the connection within `closeWithinMs`. Interim 1xx responses are skipped.
 * Bounded by `timeoutMs` in all.
 */
export function exchange(port: number, data: string | Buffer, { timeoutMs = 8000, closeWithinMs = 1500 } = {}): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data));
    let text = '';
    let result: Exchange | null = null;
    let closeTimer: NodeJS.Timeout | null = null;
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      if (closeTimer) clearTimeout(closeTimer);
      socket.destroy();
      resolve({ ...(result ?? closeDelimited(text)), closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const parse = (): void => {
      for (;;) {
        const end = text.indexOf('\r\n\r\n');
        if (end < 0 || result) return;
        const head = text.slice(0, end);
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
        if (status >= 100 && status < 200) {
          text = text.slice(end + 4);
          continue;
        }
        const declared = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
        // No Content-Length (an HTTP/1.0 answer): the body ends with the connection.
        if (declared === undefined) return;
        const length = Number(declared);
        if (text.length < end + 4 + length) return;
        result = { status, head, body: text.slice(end + 4, end + 4 + length), closed: false, silent: false };
        closeTimer = setTimeout(() => finish(false), closeWithinMs);
        return;
      }
    };
    socket.setEncoding('latin1').on('data', (d: string) => {
      text += d;
      parse();
    });
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
  });
}

/** The response read until the close, or nothing. */
function closeDelimited(text: string): Omit<Exchange, 'closed'> {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, head: text, body: '', silent: text === '' };
  const head = text.slice(0, end);
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), head, body: text.slice(end + 4), silent: false };
}
