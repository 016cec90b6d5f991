import { writeSync } from 'node:fs';

const BODY = 'Service Unavailable: the request timed out and its thread was restarted\n';
const RESPONSE = Buffer.from(
  'HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(BODY)}\r\nconnection: close\r\n\r\n${BODY}`,
);

/**
 * Writes a 503 on the socket of a request whose thread is stuck, straight to the fd (the thread's event
 * loop cannot). Only called before any header of that response went out, and before the thread is
 * terminated (which closes the fd). False if the socket would not take it.
 */
export function writeHungResponse(fd: number): boolean {
  try {
    return writeSync(fd, RESPONSE) === RESPONSE.length;
  } catch {
    return false;
  }
}
