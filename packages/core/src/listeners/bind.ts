import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { PreError } from '../errors.js';
import type { BindAddress, ListenerInfo } from './address.js';

/** Node's internal handle type (TCP or Pipe wrap); only what we use. */
interface ServerHandle {
  fd: number;
  getsockname?(out: { address?: string; port?: number }): number;
  close(): void;
}

type CreateServerHandle = (address: string | null, port: number, addressType: number, fd?: number) => ServerHandle | number;

/**
 * Node's own way to get a bound but not yet listening socket. It is not public API, but it is the only
 * way on Node 20 to bind once in the master without accepting there (see docs/architecture.md);
 * it exists on Node 20, 22 and 24.
 */
const createServerHandle = (net as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;

/** A socket the arbiter bound; workers inherit `fd`. */
export interface BoundListener {
  readonly address: BindAddress;
  readonly fd: number;
  /** What the log and workers see (the actual port when 0 was asked). */
  readonly info: Omit<ListenerInfo, 'fd'>;
  /** The socket as a handle that can be sent to a worker over IPC (each receipt is a new fd). */
  readonly handle: object;
  close(): void;
  /** Closes the socket but leaves a unix socket file in place (for a new master that inherited it). */
  keepFile(): void;
}

export async function bindListener(address: BindAddress): Promise<BoundListener> {
  if (!createServerHandle) {
    throw new PreError('PRE_ERR_BIND', `This Node.js (${process.version}) lacks net._createServerHandle, which pre needs to bind in the arbiter.`);
  }
  if (address.kind === 'fd') return adoptListener(address, address.fd);
  if (address.kind === 'unix') {
    await removeStaleUnixSocket(address.path);
    const handle = create(createServerHandle, address.path, -1, -1, address.text);
    return {
      address,
      fd: handle.fd,
      handle,
      info: { kind: 'unix', address: address.text, path: address.path, url: `unix:${address.path}` },
      close: () => {
        handle.close();
        removeFile(address.path);
      },
      keepFile: () => handle.close(),
    };
  }
  const ip = await resolveHost(address.host, address.family);
  const handle = create(createServerHandle, ip.address, address.port, ip.family, address.text);
  const out: { address?: string; port?: number } = {};
  // libuv defers EADDRINUSE from bind() to listen(); an unbound socket reports port 0 here.
  if (handle.getsockname?.(out) !== 0 || !out.port || (address.port !== 0 && out.port !== address.port)) {
    handle.close();
    throw new PreError('PRE_ERR_BIND', `Cannot bind ${address.text}: the address is already in use (EADDRINUSE).`);
  }
  const port = out.port;
  const hostText = ip.family === 6 ? `[${ip.address}]` : ip.address;
  return {
    address,
    fd: handle.fd,
    handle,
    info: { kind: 'tcp', address: `${hostText}:${port}`, host: ip.address, port, url: `http://${hostText}:${port}` },
    close: () => handle.close(),
    keepFile: () => handle.close(),
  };
}

/**
 * Wraps a socket this process inherited (fd://N, systemd, or from the old master on USR2) in a handle,
 * so it can be described and copied to workers like a socket the arbiter bound itself.
 */
export function adoptListener(address: BindAddress, fd: number): BoundListener {
  // With an fd, node wraps it and must not be given an address or port.
  const handle = create(createServerHandle!, null, 0, 0, address.text, fd);
  const out: { address?: string; port?: number } = {};
  const isTcp = handle.getsockname?.(out) === 0 && out.port !== undefined;
  const unixPath = address.kind === 'unix' ? address.path : undefined;
  const url = isTcp
    ? `http://${out.address!.includes(':') ? `[${out.address}]` : out.address}:${out.port}`
    : unixPath ? `unix:${unixPath}` : address.text;
  return {
    address,
    fd,
    handle,
    info: { kind: address.kind, address: address.text, url, ...(isTcp ? { host: out.address!, port: out.port! } : {}), ...(unixPath ? { path: unixPath } : {}) },
    close: () => {
      handle.close();
      if (unixPath) removeFile(unixPath);
    },
    keepFile: () => {
      handle.close();
    },
  };
}

function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

function create(fn: CreateServerHandle, host: string | null, port: number, type: number, text: string, fd?: number): ServerHandle {
  const result = fd === undefined ? fn(host, port, type) : fn(host, port, type, fd);
  if (typeof result === 'number') {
    const name = getSystemErrorName(result);
    const why = name === 'EADDRINUSE' ? 'the address is already in use' : name === 'EACCES' ? 'permission denied' : name;
    throw new PreError('PRE_ERR_BIND', `Cannot bind ${text}: ${why} (${name}).`);
  }
  return result;
}

async function resolveHost(host: string, family: 4 | 6): Promise<{ address: string; family: 4 | 6 }> {
  if (net.isIP(host)) return { address: host, family };
  try {
    // Loaded only for a host name: most binds are addresses.
    const { lookup } = await import('node:dns/promises');
    const found = await lookup(host === 'localhost' ? '127.0.0.1' : host);
    return { address: found.address, family: found.family === 6 ? 6 : 4 };
  } catch (err) {
    throw new PreError('PRE_ERR_BIND', `Cannot bind ${host}: the host name does not resolve (${(err as Error).message}).`);
  }
}

/**
 * A socket file left by a server that is gone is removed; one a live server still answers on is an
 * error (binding would steal its path); any other file there is an error too.
 */
async function removeStaleUnixSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) {
    throw new PreError('PRE_ERR_BIND', `Cannot bind unix:${path}: the path exists and is not a socket.`);
  }
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path, () => {
      probe.destroy();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
  });
  if (live) throw new PreError('PRE_ERR_BIND', `Cannot bind unix:${path}: another server is listening on it.`);
  unlinkSync(path);
}
