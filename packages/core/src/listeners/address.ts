import { isIP } from 'node:net';
import { PreError } from '../errors.js';

/** A parsed `bind` value. */
export type BindAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly family: 4 | 6; readonly text: string }
  | { readonly kind: 'unix'; readonly path: string; readonly text: string }
  | { readonly kind: 'fd'; readonly fd: number; readonly text: string };

/** Parses `HOST:PORT`, `[V6]:PORT`, `:PORT`, `unix:PATH` or `fd://N`. Host names are resolved by the binder. */
export function parseBindAddress(text: string): BindAddress {
  const bad = (why: string): PreError =>
    new PreError('PRE_ERR_BAD_SETTING', `Invalid value for setting 'bind' (-b/--bind): ${JSON.stringify(text)}. ${why}`);
  if (text.startsWith('unix:')) {
    const path = text.slice(5).replace(/^\/\/(?=\/)/, '');
    if (!path) throw bad('Expected unix:PATH.');
    return { kind: 'unix', path, text };
  }
  if (text.startsWith('fd://')) {
    const fd = Number(text.slice(5));
    if (!Number.isInteger(fd) || fd < 0) throw bad('Expected fd://N with N a file descriptor number.');
    return { kind: 'fd', fd, text };
  }
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (!match) throw bad('Expected HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N.');
  const port = Number(match[3]);
  if (port > 65535) throw bad('The port must be from 0 to 65535.');
  const v6 = match[1];
  if (v6 !== undefined) {
    if (isIP(v6) !== 6) throw bad(`'${v6}' is not an IPv6 address.`);
    return { kind: 'tcp', host: v6, port, family: 6, text };
  }
  const host = match[2] || '0.0.0.0';
  return { kind: 'tcp', host, port, family: isIP(host) === 6 ? 6 : 4, text };
}

/** How a listener is described to workers (and to worker classes that bind their own sockets). */
export interface ListenerInfo {
  /** The fd number in the worker process, or -1 when the worker class binds its own. */
  readonly fd: number;
  readonly kind: 'tcp' | 'unix' | 'fd';
  /** The bind text, e.g. '127.0.0.1:8000'. */
  readonly address: string;
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
  /** e.g. 'http://127.0.0.1:8000' or 'unix:/run/app.sock'. */
  readonly url: string;
}
