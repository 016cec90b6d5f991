import type { ServerHttp2Stream } from 'node:http2';

type Keyed = Record<string | symbol, unknown>;

/** What the access log, hooks and fetch apps read of a stream's connection. */
interface ConnectionFacts {
  remoteAddress: unknown;
  remotePort: unknown;
  remoteFamily: unknown;
  localAddress: unknown;
  localPort: unknown;
  encrypted: unknown;
}

/** Each session's facts, read once (they are its connection's): each stream copies them. */
const sessionFacts = new WeakMap<object, ConnectionFacts>();

/**
 * A stream's view of the connection it shares with the other streams of its session: forwarded
 * headers (forwarded.ts) set the client's address and scheme per request, and streams of one proxy
 * connection may come from different clients. The view holds the connection facts (addresses, ports,
 * `encrypted`) as its own writable properties, kept after the stream closes (node's socket proxy
 * refuses reads by then, and the access log reads them at close); anything else is read and written
 * through `connection`, node's per-stream socket proxy (`req.socket` of the compatibility API), which
 * is also the view's prototype (`instanceof net.Socket` holds). A Proxy over a small object rather than
 * an object inheriting from node's proxy: each new proxy made a prototype costs V8 a prototype map
 * (~10 µs of CPU per stream, measured: bench/http2/cost.js).
 */
export function connectionView(stream: ServerHttp2Stream, connection: object): object {
  // A stream reset before node built its request has no session any more: node's proxy then reads the
  // stream itself (the facts are undefined), and there is nothing to keep them for.
  const session = stream.session as object | undefined;
  let facts = session && sessionFacts.get(session);
  if (facts === undefined) {
    const socket = connection as Keyed;
    facts = {
      remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, remoteFamily: socket.remoteFamily,
      localAddress: socket.localAddress, localPort: socket.localPort, encrypted: socket.encrypted,
    };
    if (session) sessionFacts.set(session, facts);
  }
  return new Proxy({ ...facts }, new ConnectionView(connection));
}

/** The traps of one view: its own properties first, then node's socket proxy. */
class ConnectionView implements ProxyHandler<ConnectionFacts> {
  readonly #connection: object;

  constructor(connection: object) {
    this.#connection = connection;
  }

  get(own: ConnectionFacts, key: string | symbol): unknown {
    return Object.hasOwn(own, key) ? (own as unknown as Keyed)[key] : Reflect.get(this.#connection, key);
  }

  set(own: ConnectionFacts, key: string | symbol, value: unknown): boolean {
    if (!Object.hasOwn(own, key)) return Reflect.set(this.#connection, key, value);
    (own as unknown as Keyed)[key] = value;
    return true;
  }

  has(own: ConnectionFacts, key: string | symbol): boolean {
    return Object.hasOwn(own, key) || Reflect.has(this.#connection, key);
  }

  getPrototypeOf(): object {
    return this.#connection;
  }
}
