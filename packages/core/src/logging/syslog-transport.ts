import { createSocket as createUdpSocket, type Socket as UdpSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { PreError } from '../errors.js';
import type { SyslogAddress } from './syslog-address.js';

/** Sends one syslog message; never throws, never blocks, never keeps the process alive. */
export interface SyslogTransport {
  send(message: string): void;
  close(): void;
}

/** What a transport says when it cannot deliver (once per outage). */
export type ProblemReporter = (message: string) => void;

/** Bytes kept while a connection is (re)established or a peer is slow; later lines are dropped. */
const MAX_BACKLOG_BYTES = 1024 * 1024;
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;

export function createSyslogTransport(address: SyslogAddress, where: string, report: ProblemReporter): SyslogTransport {
  switch (address.transport) {
    case 'udp':
      return new UdpTransport(address.host, address.port, where, report);
    case 'tcp':
      return new StreamTransport({ host: address.host, port: address.port }, where, report);
    case 'unix-stream':
      return new StreamTransport({ path: address.path }, where, report);
    case 'unix-dgram':
      return new UnixDatagramTransport(address.path, where, report);
  }
}

/**
 * UDP: one datagram per message. The socket is connected once (one name lookup, not one per line);
 * messages logged before that are held, within MAX_BACKLOG_BYTES.
 */
class UdpTransport implements SyslogTransport {
  readonly #socket: UdpSocket;
  #ready = false;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #reported = false;

  constructor(host: string, port: number, readonly where: string, readonly report: ProblemReporter) {
    this.#socket = createUdpSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    this.#socket.unref();
    this.#socket.on('error', (err) => this.#problem(err));
    this.#socket.connect(port, host, () => {
      this.#ready = true;
      const held = this.#held;
      this.#held = [];
      this.#heldBytes = 0;
      for (const datagram of held) this.#send(datagram);
    });
  }

  send(message: string): void {
    const datagram = Buffer.from(message, 'utf8');
    if (this.#ready) {
      this.#send(datagram);
    } else if (this.#heldBytes + datagram.length <= MAX_BACKLOG_BYTES) {
      this.#held.push(datagram);
      this.#heldBytes += datagram.length;
    }
  }

  close(): void {
    try {
      this.#socket.close();
    } catch {
      // Already closed.
    }
  }

  #send(datagram: Buffer): void {
    try {
      // Nobody listening (ECONNREFUSED from an earlier datagram) or too long (EMSGSIZE): the line is lost.
      this.#socket.send(datagram, (err) => {
        if (err) this.#problem(err);
        else this.#reported = false;
      });
    } catch (err) {
      this.#problem(err);
    }
  }

  #problem(err: unknown): void {
    if (this.#reported) return;
    this.#reported = true;
    this.report(`cannot send to syslog ${this.where}: ${(err as Error)?.message ?? String(err)}`);
  }
}

/**
 * TCP or a unix stream socket: one message per line (RFC 6587 non-transparent framing). Connects at
 * once and again after a loss (250 ms, doubling to 10 s); lines wait in the socket's buffer up to
 * MAX_BACKLOG_BYTES, beyond which they are dropped: a dead or stuck collector never blocks a write or
 * an exit (the socket and the retry timer are unref'd).
 */
class StreamTransport implements SyslogTransport {
  #socket: Socket | null = null;
  #connected = false;
  #held: string[] = [];
  #heldBytes = 0;
  #retryMs = FIRST_RETRY_MS;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #reported = false;

  constructor(
    readonly target: { host: string; port: number } | { path: string },
    readonly where: string,
    readonly report: ProblemReporter,
  ) {
    this.#connect();
  }

  send(message: string): void {
    if (this.#closed) return;
    const line = `${message}\n`;
    const socket = this.#socket;
    if (this.#connected && socket !== null) {
      if (socket.writableLength + line.length <= MAX_BACKLOG_BYTES) socket.write(line);
      return;
    }
    if (this.#heldBytes + line.length <= MAX_BACKLOG_BYTES) {
      this.#held.push(line);
      this.#heldBytes += line.length;
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#socket?.end();
  }

  #connect(): void {
    this.#timer = null;
    if (this.#closed) return;
    const socket = netConnect(this.target);
    this.#socket = socket;
    socket.unref();
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.#connected = true;
      this.#retryMs = FIRST_RETRY_MS;
      this.#reported = false;
      const held = this.#held.join('');
      this.#held = [];
      this.#heldBytes = 0;
      if (held !== '') socket.write(held);
    });
    socket.on('error', (err) => {
      if (this.#reported) return;
      this.#reported = true;
      this.report(`cannot send to syslog ${this.where}: ${err.message}; retrying`);
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#connected = false;
      if (this.#closed) return;
      this.#timer = setTimeout(() => this.#connect(), this.#retryMs);
      this.#timer.unref();
      this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
    });
    // A collector that sends nothing back still must not fill our memory: we never read.
    socket.resume();
  }
}

interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, callback: (err?: Error) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  close(): void;
}

interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

const require = createRequire(import.meta.url);
let unixDgram: UnixDgramModule | null = null;

/**
 * Node has no unix datagram sockets: `unix-dgram` (an optional native dependency) provides them.
 * Throws PRE_ERR_BAD_SETTING when it cannot be loaded (not installed, or built for another Node).
 */
export function loadUnixDgram(where: string): UnixDgramModule {
  if (unixDgram !== null) return unixDgram;
  try {
    unixDgram = require('unix-dgram') as UnixDgramModule;
    return unixDgram;
  } catch (err) {
    throw new PreError(
      'PRE_ERR_BAD_SETTING',
      `syslog_addr ${where}: a unix datagram socket needs the optional package 'unix-dgram', which cannot be loaded ` +
        `(${(err as Error)?.message?.split('\n')[0] ?? String(err)}); reinstall it for this Node, or use '${where}#stream', udp:// or tcp://`,
      { cause: err },
    );
  }
}

/** A unix datagram socket (/dev/log): one sendto per message, synchronous, so nothing waits at exit. */
class UnixDatagramTransport implements SyslogTransport {
  readonly #socket: UnixDgramSocket;
  #reported = false;

  constructor(readonly path: string, readonly where: string, readonly report: ProblemReporter) {
    this.#socket = loadUnixDgram(where).createSocket('unix_dgram');
    this.#socket.on('error', (err) => this.#problem(err));
  }

  send(message: string): void {
    const datagram = Buffer.from(message, 'utf8');
    try {
      this.#socket.send(datagram, 0, datagram.length, this.path, (err) => {
        if (err) this.#problem(err);
        else this.#reported = false;
      });
    } catch (err) {
      this.#problem(err);
    }
  }

  close(): void {
    try {
      this.#socket.close();
    } catch {
      // Already closed.
    }
  }

  #problem(err: unknown): void {
    if (this.#reported) return;
    this.#reported = true;
    this.report(`cannot send to syslog ${this.where}: ${(err as Error)?.message ?? String(err)}`);
  }
}
