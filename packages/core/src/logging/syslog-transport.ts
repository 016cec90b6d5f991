import { createSocket as createUdpSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { SyslogAddress } from './syslog-address.js';
import { formatSyslogMessage } from './syslog-format.js';
import { LoggerTransport } from './syslog-logger.js';

/** Sends one syslog message; never throws, never blocks, never keeps the process alive. */
export interface SyslogTransport {
  /** `body` is one line (line breaks already escaped); the transport adds `<priority>` and the tag. */
  send(priority: number, body: string): void;
  close(): void;
}

/** What a transport says when it cannot deliver (once per outage). */
export type ProblemReporter = (message: string) => void;

/** Bytes kept while a connection is (re)established or a peer is slow; later lines are dropped. */
const MAX_BACKLOG_BYTES = 1024 * 1024;
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;

/**
 * The transport for an address. `tag` is the program name in each message; `where` is the address as the
 * user wrote it, for messages. Throws PRE_ERR_BAD_SETTING when a unix datagram socket cannot be reached
 * (no util-linux logger).
 */
export function createSyslogTransport(address: SyslogAddress, tag: string, where: string, report: ProblemReporter): SyslogTransport {
  switch (address.transport) {
    case 'udp':
      return withTag(new UdpTransport(address.host, address.port, where, report), tag);
    case 'tcp':
      return withTag(new StreamTransport({ host: address.host, port: address.port }, where, report), tag);
    case 'unix-stream':
      return withTag(new StreamTransport({ path: address.path }, where, report), tag);
    case 'unix-dgram':
      return new LoggerTransport({ path: address.path, tag, where, report });
  }
}

/** A socket we write whole messages to ourselves. */
interface MessageSender {
  send(message: string): void;
  close(): void;
}

/** Gunicorn's `<PRI>tag: body`, written by us (over a unix datagram socket, logger(1) writes the header). */
function withTag(sender: MessageSender, tag: string): SyslogTransport {
  return {
    send: (priority, body) => sender.send(formatSyslogMessage(priority, tag, body)),
    close: () => sender.close(),
  };
}

/**
 * UDP: one datagram per message. The socket is connected once (one name lookup, not one per line);
 * messages logged before that are held, within MAX_BACKLOG_BYTES.
 */
class UdpTransport implements MessageSender {
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
class StreamTransport implements MessageSender {
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
