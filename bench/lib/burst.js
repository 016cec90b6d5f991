// A burst of new connections from idle: N connections opened at once, one `GET /pid` each (Connection:
// close); the answers say which process served each, for any server whose app has the /pid route.
import net from 'node:net';

function getPid(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write('GET /pid HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const [head, body = ''] = text.split('\r\n\r\n');
      resolve(/^HTTP\/1\.[01] 200/.test(head) && /^\d+$/.test(body.trim()) ? Number(body.trim()) : null);
    });
  });
}

/** { servedBy: Map(pid → requests), failed } for `connections` simultaneous new connections. */
export async function burstFromIdle(port, connections = 64) {
  const pids = await Promise.all(Array.from({ length: connections }, () => getPid(port)));
  const servedBy = new Map();
  for (const pid of pids) if (pid !== null) servedBy.set(pid, (servedBy.get(pid) ?? 0) + 1);
  return { servedBy, failed: pids.filter((p) => p === null).length };
}

/** The busiest process's share of `counts` (values: requests or CPU seconds), or NaN when there is none. */
export function busiestShare(counts) {
  const values = [...counts];
  const total = values.reduce((a, b) => a + b, 0);
  return total > 0 ? Math.max(...values) / total : NaN;
}
