// Time to first response: from spawn until a raw TCP request first gets a 200, polled every ~5 ms.
import net from 'node:net';

const POLL_MS = 5;

/** One raw `GET /` on a new connection: resolves with the status code, or null when it fails. */
function rawGet(port, timeoutMs) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let head = '';
    const done = (status) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    // A connection queued on a bound socket that no worker accepts yet waits here: that is start-up time too.
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      head += chunk;
      const line = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (line) done(Number(line[1]));
    });
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
  });
}

/**
 * Milliseconds from `spawnedAt` (a performance.now() taken just before spawning) to the first 200 on `port`;
 * throws after `timeoutMs` or when `alive()` turns false.
 */
export async function timeToFirstResponse(port, spawnedAt, alive, timeoutMs = 30_000) {
  const deadline = spawnedAt + timeoutMs;
  while (performance.now() < deadline) {
    if (!alive()) throw new Error('exited before its first response');
    const status = await rawGet(port, Math.max(1, deadline - performance.now()));
    if (status === 200) return performance.now() - spawnedAt;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`no 200 within ${timeoutMs} ms of the spawn`);
}
