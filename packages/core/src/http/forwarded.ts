import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { IpAllowList } from '../listeners/ip-allow-list.js';
import type { Settings } from '../settings/registry.js';
import type { RequestRejection } from './request-checks.js';

type ForwardedSettings = Pick<Settings, 'forwarded_allow_ips' | 'secure_scheme_headers' | 'forwarder_headers'>;

/**
 * Trust in proxy headers, Gunicorn's way: from a peer in `forwarded_allow_ips`, the client address and
 * the scheme come from the proxy's headers; from any other peer those headers are removed, so the app
 * cannot be fooled by a client that sets them.
 */
export class ForwardedHeaders {
  readonly #trusted: IpAllowList;
  readonly #scheme: [name: string, secureValue: string][];
  readonly #forwarders: string[];
  /** Lengths of the header names above: most requests carry none of them, found without lower-casing. */
  readonly #lengths: Set<number>;
  readonly #names: Set<string>;

  constructor(settings: ForwardedSettings) {
    this.#trusted = new IpAllowList(settings.forwarded_allow_ips);
    this.#scheme = Object.entries(settings.secure_scheme_headers).map(([n, v]) => [n.toLowerCase(), v.toLowerCase()]);
    this.#forwarders = settings.forwarder_headers.split(',').map((n) => n.toLowerCase());
    this.#names = new Set([...this.#scheme.map(([n]) => n), ...this.#forwarders]);
    this.#lengths = new Set([...this.#names].map((n) => n.length));
  }

  /** Whether the request has any header this class reads (a scan of rawHeaders: req.headers is built lazily by node). */
  #present(req: IncomingMessage): boolean {
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (this.#lengths.has(name.length) && this.#names.has(name.toLowerCase())) return true;
    }
    return false;
  }

  /**
   * Removes the proxy headers of an untrusted peer from `rawHeaders` (what the fetch adapter and apps
   * that read raw headers see) and from `headers` (node builds it lazily from rawHeaders; drop the
   * fields there too in case something built it already).
   */
  #strip(req: IncomingMessage): void {
    const raw = req.rawHeaders;
    for (let i = raw.length - 2; i >= 0; i -= 2) {
      const name = raw[i]!;
      if (this.#lengths.has(name.length) && this.#names.has(name.toLowerCase())) raw.splice(i, 2);
    }
    for (const name of this.#names) delete req.headers[name];
  }

  /** The lower-case names of the headers this class reads. */
  get headerNames(): ReadonlySet<string> {
    return this.#names;
  }

  /** Whether a direct peer (IP address) is a trusted proxy. */
  trusts(peer: string | undefined): boolean {
    return this.#trusted.allows(peer);
  }

  /**
   * What a trusted proxy's headers say, independent of any server API: `secure` is null when no scheme
   * header is present, `client` null when no forwarder header names an address. `get` returns a
   * header's value by lower-case name (repeated fields joined with ','). A rejection when the scheme
   * headers disagree.
   */
  read(get: (name: string) => string | undefined): ForwardedView | RequestRejection {
    let secure: boolean | null = null;
    for (const [name, secureValue] of this.#scheme) {
      const value = get(name);
      if (value === undefined) continue;
      const isSecure = value.trim().toLowerCase() === secureValue;
      if (secure !== null && secure !== isSecure) return { status: 400, reason: 'Contradictory scheme headers' };
      secure = isSecure;
    }
    let client: string | null = null;
    for (const name of this.#forwarders) {
      const list = get(name);
      if (!list) continue;
      client = clientAddress(list.split(',').at(-1)!.trim());
      break;
    }
    return { secure, client };
  }

  /** Applies the headers to the request's view of its peer; a rejection when the scheme headers disagree. */
  apply(req: IncomingMessage): RequestRejection | null {
    if (!this.#present(req)) return null;
    const socket = req.socket as TLSSocket & { [TRUSTED]?: boolean };
    // Decided once per connection, from its own peer, before any request on it rewrote the address.
    socket[TRUSTED] ??= this.#trusted.allows(socket.remoteAddress);
    if (!socket[TRUSTED]) {
      this.#strip(req);
      return null;
    }
    const view = this.read((name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(',') : value;
    });
    if ('status' in view) return view;
    if (view.secure !== null) Object.defineProperty(socket, 'encrypted', { value: view.secure || undefined, configurable: true });
    if (view.client) Object.defineProperty(socket, 'remoteAddress', { value: view.client, configurable: true });
    return null;
  }
}

/** What trusted proxy headers say about a request (see ForwardedHeaders.read). */
export interface ForwardedView {
  readonly secure: boolean | null;
  readonly client: string | null;
}

const TRUSTED = Symbol('pre.trustedProxy');

/** `1.2.3.4`, `1.2.3.4:5678`, `[::1]:80` or `::1` → the address; anything else → null. */
function clientAddress(text: string): string | null {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?$/.exec(text);
  if (v4) return v4[1]!;
  return isIP(text) ? text : null;
}
