import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ListenerInfo } from '../listeners/address.js';

/** One listener's accept queue: connections the kernel has completed that no worker has accepted yet. */
export interface ListenBacklog {
  readonly url: string;
  readonly queued: number;
}

/** A listening TCP socket of this process, from /proc/net/tcp{,6}. */
interface ListeningSocket {
  readonly host: string;
  readonly port: number;
  readonly queued: number;
}

const LISTEN_STATE = '0A';

/**
 * Gunicorn's `enable_backlog_metric`: the accept-queue depth of each TCP listener, read from
 * /proc/net/tcp and /proc/net/tcp6 (for a listening socket, rx_queue is the accept queue), for the
 * sockets this process holds. Null where there is no /proc (not Linux); unix and fd:// listeners are left out.
 */
export function listenBacklogs(listeners: readonly ListenerInfo[], proc = '/proc'): ListenBacklog[] | null {
  if (process.platform !== 'linux') return null;
  let sockets: ListeningSocket[];
  try {
    sockets = ownListeningSockets(proc);
  } catch {
    return null;
  }
  const result: ListenBacklog[] = [];
  for (const listener of listeners) {
    if (listener.kind !== 'tcp' || listener.port === undefined) continue;
    const host = listener.host && isIP(listener.host) ? normalizeHost(listener.host) : null;
    const match = sockets.find((s) => s.port === listener.port && (host === null || s.host === host));
    if (match) result.push({ url: listener.url, queued: match.queued });
  }
  return result;
}

function ownListeningSockets(proc: string): ListeningSocket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`${proc}/self/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${proc}/self/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed between readdir and readlink
    }
  }
  const sockets: ListeningSocket[] = [];
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`${proc}/self/net/${file}`, 'utf8');
    } catch {
      continue; // no IPv6
    }
    sockets.push(...parseProcNetTcp(text).filter((s) => inodes.has(s.inode)));
  }
  return sockets;
}

/** The listening sockets of a /proc/net/tcp or tcp6 table. */
export function parseProcNetTcp(text: string): (ListeningSocket & { inode: string })[] {
  const sockets: (ListeningSocket & { inode: string })[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== LISTEN_STATE) continue;
    const [addressHex, portHex] = fields[1]!.split(':');
    const rxQueueHex = fields[4]!.split(':')[1]!;
    sockets.push({ host: decodeAddress(addressHex!), port: parseInt(portHex!, 16), queued: parseInt(rxQueueHex, 16), inode: fields[9]! });
  }
  return sockets;
}

/** /proc/net/tcp writes addresses as 32-bit words in host (little-endian) byte order. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => (word.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return normalizeHost(groups.join(':'));
}

/** One spelling per address, so `::1` and `0:0:0:0:0:0:0:1` compare equal; IPv4-mapped IPv6 reads as IPv4. */
function normalizeHost(host: string): string {
  if (isIP(host) !== 6) return host;
  const url = new URL(`http://[${host}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(url);
  if (mapped) {
    const a = parseInt(mapped[1]!, 16);
    const b = parseInt(mapped[2]!, 16);
    return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  return url;
}
