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
