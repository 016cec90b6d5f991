/**
 * Behind a proxy: X-Forwarded-* believed only from forwarded_allow_ips (and removed from other
 * peers' requests), and the PROXY protocol v1/v2 from proxy_allow_ips. The kit app's /__kit/peer
 * answers what the app sees: the peer address, the scheme, the X-Forwarded-* names it received.
 */
import { describeRead } from '../expect.js';
import { check, type KitCase, type KitGroup } from '../kit-case.js';
import { RawConnection } from '../raw-connection.js';

interface PeerView {
  remoteAddress?: string;
  scheme: string;
  forwarded: string[];
}

/** Sends `bytes` from `localAddress`; the peer view, or null with what came back instead. */
async function peerView(port: number, timeoutMs: number, bytes: Buffer | string, localAddress = '127.0.0.1'): Promise<{ view: PeerView | null; got: string }> {
  const connection = await RawConnection.open(port, { localAddress });
  try {
    connection.write(bytes);
    connection.end();
    const read = await connection.readResponse(timeoutMs);
    if (read.response?.status !== 200) return { view: null, got: describeRead(read) };
    return { view: JSON.parse(read.response.body.toString('utf8')) as PeerView, got: describeRead(read) };
  } finally {
    connection.destroy();
  }
}

const GET = 'GET /__kit/peer HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n';
const FORWARDED = 'X-Forwarded-For: 198.51.100.4, 203.0.113.9\r\nX-Forwarded-Proto: https\r\n';

function expectPeer(view: PeerView | null, got: string, address: string, scheme: string): void {
  check(view, `the app sees ${address} (${scheme})`, got);
  check(view.remoteAddress?.replace(/^::ffff:/, '') === address && view.scheme === scheme, `the app sees ${address} (${scheme})`, `${view.remoteAddress} (${view.scheme})`);
}

export const forwardedGroup: KitGroup = {
  id: 'proxy-forwarded',
  title: 'X-Forwarded-For/Proto and forwarded_allow_ips',
  server: (env) => ({ app: env.kitApp, settings: ['forwarded_allow_ips'], args: ['--forwarded-allow-ips', '127.0.0.1'] }),
  cases: (): KitCase[] => [
    {
      id: 'trusted-peer-believed',
      title: 'from 127.0.0.1 (allowed): the app sees the last X-Forwarded-For address and https',
      async run(ctx) {
        const { view, got } = await peerView(ctx.server.port, ctx.env.options.responseTimeoutMs, `${GET}${FORWARDED}\r\n`);
        expectPeer(view, got, '203.0.113.9', 'https');
      },
    },
    {
      id: 'untrusted-peer-stripped',
      title: 'from 127.0.0.2 (not allowed): the app sees the real peer, http, and no X-Forwarded-* headers (rawHeaders included)',
      async run(ctx) {
        const { view, got } = await peerView(ctx.server.port, ctx.env.options.responseTimeoutMs, `${GET}${FORWARDED}\r\n`, '127.0.0.2');
        expectPeer(view, got, '127.0.0.2', 'http');
        check(view!.forwarded.length === 0, 'the X-Forwarded-* headers removed', view!.forwarded.join(', '));
      },
    },
  ],
  workerLivesOn: true,
};

function proxyV2(source: number[], sourcePort: number, destPort: number): Buffer {
  return Buffer.concat([
    Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]),
    Buffer.from([0x21, 0x11, 0x00, 0x0c]), // v2 PROXY, TCP over IPv4, 12 address bytes
    Buffer.from([...source, 127, 0, 0, 1]),
    Buffer.from([sourcePort >> 8, sourcePort & 0xff, destPort >> 8, destPort & 0xff]),
  ]);
}

/** Not served: an error status or a close, never a 2xx. */
async function notServed(port: number, timeoutMs: number, bytes: string): Promise<void> {
  const connection = await RawConnection.open(port);
  try {
    connection.write(bytes);
    connection.end();
    const read = await connection.readResponse(timeoutMs);
    check(!read.response || read.response.status >= 400, 'an error or a close, never a 2xx', describeRead(read));
    check(read.response || connection.closed, 'an error or a close', describeRead(read));
  } finally {
    connection.destroy();
  }
}

export const proxyProtocolGroup: KitGroup = {
  id: 'proxy-protocol',
  title: 'PROXY protocol v1 and v2 from proxy_allow_ips',
  server: (env) => ({ app: env.kitApp, settings: ['proxy_protocol', 'proxy_allow_ips'], args: ['--proxy-protocol', '--proxy-allow-from', '127.0.0.1'] }),
  cases: (): KitCase[] => [
    {
      id: 'v1-tcp4', title: 'PROXY TCP4 (v1): the app sees the client address',
      async run(ctx) {
        const { view, got } = await peerView(ctx.server.port, ctx.env.options.responseTimeoutMs, `PROXY TCP4 192.0.2.10 127.0.0.1 4444 ${ctx.server.port}\r\n${GET}\r\n`);
        expectPeer(view, got, '192.0.2.10', 'http');
      },
    },
    {
      id: 'v1-tcp6', title: 'PROXY TCP6 (v1): the app sees the client address',
      async run(ctx) {
        const { view, got } = await peerView(ctx.server.port, ctx.env.options.responseTimeoutMs, `PROXY TCP6 2001:db8::7 ::1 4444 ${ctx.server.port}\r\n${GET}\r\n`);
        expectPeer(view, got, '2001:db8::7', 'http');
      },
    },
    {
      id: 'v2-tcp4', title: 'PROXY v2 (binary), TCP over IPv4: the app sees the client address',
      async run(ctx) {
        const { view, got } = await peerView(ctx.server.port, ctx.env.options.responseTimeoutMs, Buffer.concat([proxyV2([198, 51, 100, 77], 4444, ctx.server.port), Buffer.from(`${GET}\r\n`)]));
        expectPeer(view, got, '198.51.100.77', 'http');
      },
    },
    {
      id: 'other-peer-plain', title: 'a peer outside proxy_allow_ips is served as plain HTTP',
      async run(ctx) {
        const { view, got } = await peerView(ctx.server.port, ctx.env.options.responseTimeoutMs, `${GET}\r\n`, '127.0.0.2');
        expectPeer(view, got, '127.0.0.2', 'http');
      },
    },
    { id: 'allowed-peer-without-header', title: 'an allowed proxy that sends no PROXY header is not served', run: (ctx) => notServed(ctx.server.port, ctx.env.options.responseTimeoutMs, `${GET}\r\n`) },
    { id: 'v1-malformed', title: 'a malformed PROXY v1 line is not served', run: (ctx) => notServed(ctx.server.port, ctx.env.options.responseTimeoutMs, `PROXY TCP4 not-an-ip 127.0.0.1 1 2\r\n${GET}\r\n`) },
  ],
  workerLivesOn: true,
  // 127.0.0.1 is the allowed proxy here: a plain request comes from another peer.
  normalFrom: '127.0.0.2',
};
