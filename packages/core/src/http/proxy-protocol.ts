import { isIP, type Server, type Socket } from 'node:net';
import { IpAllowList } from '../listeners/ip-allow-list.js';
import type { Logger } from '../logging/error-log.js';

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_MAX = 107;
const HEADER_TIMEOUT_MS = 5000;

export interface ProxySource {
  readonly address: string;
  readonly port: number;
}

type Parse = { done: false } | { done: true; source: ProxySource | null; length: number };

/** Parses a PROXY v1 line or v2 block at the start of `buf`; `source` is null for LOCAL/UNKNOWN. Throws on garbage. */
export function parseProxyHeader(buf: Buffer): Parse {
  if (buf.length >= 1 && buf[0] === 0x0d) return parseV2(buf);
  if (buf.length < 6) {
    if (!'PROXY '.startsWith(buf.toString('latin1'))) throw new Error('not a PROXY protocol header');
    return { done: false };
  }
  if (buf.toString('latin1', 0, 6) !== 'PROXY ') throw new Error('not a PROXY protocol header');
  const end = buf.indexOf('\r\n');
  if (end < 0) {
    if (buf.length >= V1_MAX) throw new Error('PROXY v1 line too long');
    return { done: false };
  }
  const parts = buf.toString('latin1', 6, end).split(' ');
  const length = end + 2;
  if (parts[0] === 'UNKNOWN') return { done: true, source: null, length };
  const [proto, src, , srcPort] = parts;
  const family = proto === 'TCP4' ? 4 : proto === 'TCP6' ? 6 : 0;
  const port = Number(srcPort);
  if (parts.length !== 5 || !family || isIP(src ?? '') !== family || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error('malformed PROXY v1 line');
  }
  return { done: true, source: { address: src!, port }, length };
}

function parseV2(buf: Buffer): Parse {
  const sigLength = Math.min(buf.length, V2_SIGNATURE.length);
  if (!buf.subarray(0, sigLength).equals(V2_SIGNATURE.subarray(0, sigLength))) throw new Error('not a PROXY protocol header');
  if (buf.length < 16) return { done: false };
  const versionCommand = buf[12]!;
  if (versionCommand >> 4 !== 2) throw new Error('unsupported PROXY v2 version');
  const length = 16 + buf.readUInt16BE(14);
  if (buf.length < length) return { done: false };
  const command = versionCommand & 0x0f;
  const family = buf[13]! >> 4;
  if (command === 0) return { done: true, source: null, length }; // LOCAL: the proxy's own health check
  if (command !== 1) throw new Error('unsupported PROXY v2 command');
  if (family === 1 && length >= 16 + 12) {
    return { done: true, source: { address: [...buf.subarray(16, 20)].join('.'), port: buf.readUInt16BE(24) }, length };
  }
  if (family === 2 && length >= 16 + 36) {
    const groups = Array.from({ length: 8 }, (_, i) => buf.readUInt16BE(16 + i * 2).toString(16));
    // The URL parser writes IPv6 addresses in their canonical, compressed form.
    const address = new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
    return { done: true, source: { address, port: buf.readUInt16BE(48) }, length };
  }
  return { done: true, source: null, length }; // UNSPEC or unix: keep the socket's address
}

/** Makes the socket report the client's address, as told by the proxy. */
function setPeer(socket: Socket, source: ProxySource): void {
  Object.defineProperty(socket, 'remoteAddress', { value: source.address, configurable: true });
  Object.defineProperty(socket, 'remotePort', { value: source.port, configurable: true });
  Object.defineProperty(socket, 'remoteFamily', { value: isIP(source.address) === 6 ? 'IPv6' : 'IPv4', configurable: true });
}

/** Reads the PROXY header off a new connection, then hands the rest of the bytes on. */
function readProxyHeader(socket: Socket): Promise<ProxySource | null> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error('no PROXY header in time')), HEADER_TIMEOUT_MS);
    const finish = (err: Error | null, source: ProxySource | null = null, rest?: Buffer): void => {
      clearTimeout(timer);
      socket.removeListener('readable', onReadable);
      socket.removeListener('close', onClose);
      if (err) return reject(err);
      if (rest && rest.length > 0) socket.unshift(rest);
      resolve(source);
    };
    const onClose = (): void => finish(new Error('closed before the PROXY header'));
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        buffered = Buffer.concat([buffered, chunk]);
        try {
          const parsed = parseProxyHeader(buffered);
          if (parsed.done) return finish(null, parsed.source, buffered.subarray(parsed.length));
        } catch (err) {
          return finish(err as Error);
        }
      }
    };
    socket.on('readable', onReadable);
    socket.once('close', onClose);
  });
}

/**
 * Puts a PROXY protocol reader in front of a server's own connection handling (node:http or TLS):
 * connections from `allowIps` must start with a v1 or v2 header; others are served as they are.
 * Call it before anything else listens for 'connection' on the server.
 */
export function acceptProxyProtocol(server: Server, allowIps: string, log: Logger): void {
  const allow = new IpAllowList(allowIps);
  const handlers = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const serve = (): void => {
      for (const handler of handlers) handler.call(server, socket);
    };
    if (!allow.allows(socket.remoteAddress)) return serve();
    readProxyHeader(socket).then(
      (source) => {
        if (source) setPeer(socket, source);
        serve();
        // Bytes that came with the header were put back into the stream; hand them to the parser.
        if (socket.readableLength > 0) socket.resume();
      },
      (err: Error) => {
        log.debug(`Closing connection from ${socket.remoteAddress ?? 'unknown'}: ${err.message}`);
        socket.destroy();
      },
    );
  });
}
