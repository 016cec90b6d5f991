import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { PreError } from '../errors.js';

/** Every queued line goes out at most this often, as one datagram. */
export const STATSD_FLUSH_MS = 100;
/** Below the usual 1500-byte MTU minus IP/UDP headers, so a datagram is never fragmented. */
export const STATSD_MAX_PACKET = 1400;
const DEFAULT_PORT = 8125;

export interface StatsdAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses `statsd_host`: `HOST:PORT`, `[IPV6]:PORT`, or `HOST` (port 8125). */
export function parseStatsdHost(text: string): StatsdAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(text.trim());
  const port = match?.[3] === undefined ? DEFAULT_PORT : Number(match[3]);
  if (!match || port < 1 || port > 65535 || (match[1] !== undefined && isIP(match[1]) !== 6)) {
    throw new PreError('PRE_ERR_BAD_SETTING', `Invalid value for setting 'statsd_host' (--statsd-host): ${JSON.stringify(text)}. Expected HOST:PORT, for example 127.0.0.1:8125.`);
  }
  return { host: match[1] ?? match[2]!, port };
}

export interface StatsdOptions {
  readonly address: StatsdAddress;
  /** `statsd_prefix`; prepended with a dot. */
  readonly prefix: string;
  /** `dogstatsd_tags`, e.g. `env:prod,service:api`. */
  readonly tags: string;
}

/**
 * A StatsD client that never blocks the request path and never throws: counters add up and timer
 * samples queue in memory, and every STATSD_FLUSH_MS one datagram (< STATSD_MAX_PACKET bytes) carries
 * the counters and gauges, then as many timer samples as fit; when samples are left over, the ones sent
 * carry a sample rate (`|@0.25`) so the server scales them back up. Send errors (no listener) are ignored.
 */
export class StatsdClient {
  readonly #socket: Socket;
  readonly #prefix: string;
  readonly #suffix: string;
  readonly #counters = new Map<string, number>();
  readonly #gauges = new Map<string, number>();
  readonly #timers = new Map<string, number[]>();
  #timer: NodeJS.Timeout | null = null;
  #connected = false;
  #closed = false;

  constructor(options: StatsdOptions) {
    this.#prefix = options.prefix ? `${options.prefix.replace(/\.$/, '')}.` : '';
    this.#suffix = options.tags ? `|#${options.tags}` : '';
    const { host, port } = options.address;
    this.#socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    this.#socket.on('error', () => {}); // ICMP "port unreachable" and the like: metrics are best effort
    this.#socket.unref();
    // connect() resolves the host once; later sends need no lookup.
    this.#socket.connect(port, host, () => (this.#connected = true));
  }

  increment(name: string, value = 1): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + value);
    this.#schedule();
  }

  gauge(name: string, value: number): void {
    this.#gauges.set(name, value);
    this.#schedule();
  }

  /** A duration in milliseconds. */
  timing(name: string, ms: number): void {
    const samples = this.#timers.get(name);
    if (samples) samples.push(ms);
    else this.#timers.set(name, [ms]);
    this.#schedule();
  }

  /** Sends what is queued now (at exit). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const packet = this.#takePacket();
    if (packet && this.#connected && !this.#closed) this.#socket.send(packet, () => {});
  }

  close(): void {
    this.flush();
    this.#closed = true;
    this.#socket.close();
  }

  #schedule(): void {
    if (this.#timer === null && !this.#closed) this.#timer = setTimeout(() => this.flush(), STATSD_FLUSH_MS).unref();
  }

  /** The lines of one tick, capped at STATSD_MAX_PACKET bytes; what does not fit is dropped. */
  #takePacket(): string {
    let packet = '';
    const add = (line: string): boolean => {
      const next = packet ? `${packet}\n${line}` : line;
      if (Buffer.byteLength(next) >= STATSD_MAX_PACKET) return false;
      packet = next;
      return true;
    };
    for (const [name, value] of this.#counters) add(`${this.#prefix}${name}:${value}|c${this.#suffix}`);
    for (const [name, value] of this.#gauges) add(`${this.#prefix}${name}:${value}|g${this.#suffix}`);
    this.#counters.clear();
    this.#gauges.clear();
    for (const [name, samples] of this.#timers) {
      // Room left for this timer's lines, sampled evenly when they do not all fit.
      const lineBytes = `${this.#prefix}${name}:00000.000|ms|@0.0000${this.#suffix}\n`.length;
      const room = Math.max(0, Math.floor((STATSD_MAX_PACKET - 1 - Buffer.byteLength(packet)) / lineBytes / this.#timers.size));
      const kept = Math.min(room, samples.length);
      const rate = kept < samples.length ? `|@${(kept / samples.length).toFixed(4)}` : '';
      for (let i = 0; i < kept; i++) {
        const ms = samples[Math.floor((i * samples.length) / kept)]!;
        add(`${this.#prefix}${name}:${Math.round(ms * 1000) / 1000}|ms${rate}${this.#suffix}`);
      }
    }
    this.#timers.clear();
    return packet;
  }
}
