import { isIP } from 'node:net';

/** Where syslog lines go: `udp://host:port`, `tcp://host:port`, `unix:///path` (datagram) or `unix:///path#stream`. */
export type SyslogAddress =
  | { readonly transport: 'udp' | 'tcp'; readonly host: string; readonly port: number }
  | { readonly transport: 'unix-dgram' | 'unix-stream'; readonly path: string };

/** Gunicorn's default per platform: the local daemon's socket on the BSDs and macOS, else UDP to localhost. */
export function defaultSyslogAddress(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'darwin':
      return 'unix:///var/run/syslog';
    case 'freebsd':
      return 'unix:///var/run/log';
    case 'openbsd':
      return 'unix:///dev/log';
    default:
      return 'udp://localhost:514';
  }
}

const DEFAULT_PORT = 514;

/**
 * Parses a syslog address as Gunicorn does (`[::1]:514` for IPv6, port 514 when none is given), with
 * `#dgram` (the default) or `#stream` after a unix path. Returns an error text when it is not one.
 */
export function parseSyslogAddress(text: string): SyslogAddress | string {
  const scheme = /^(udp|tcp|unix):\/\/(.*)$/.exec(text);
  if (scheme === null) return 'udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH';
  const [, transport, rest = ''] = scheme;
  if (transport === 'unix') {
    const hash = rest.lastIndexOf('#');
    const path = hash === -1 ? rest : rest.slice(0, hash);
    const type = hash === -1 ? 'dgram' : rest.slice(hash + 1);
    if (!path.startsWith('/')) return 'an absolute path after unix:// (unix:///dev/log)';
    if (type !== 'dgram' && type !== 'stream') return "unix:///PATH, optionally followed by '#dgram' or '#stream'";
    return { transport: type === 'dgram' ? 'unix-dgram' : 'unix-stream', path };
  }
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (bracketed !== null) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (isIP(host) !== 6) return 'an IPv6 address between brackets ([::1]:514)';
  } else {
    const colon = rest.indexOf(':');
    host = colon === -1 ? rest : rest.slice(0, colon);
    portText = colon === -1 ? undefined : rest.slice(colon + 1);
  }
  if (host === '') host = 'localhost';
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : 0;
    if (port < 1 || port > 65535) return `a port from 1 to 65535 (got '${portText}')`;
  }
  return { transport: transport as 'udp' | 'tcp', host: host.toLowerCase(), port };
}

/** syslog(3) facility codes by name (Python's SysLogHandler names, which Gunicorn accepts). */
export const SYSLOG_FACILITIES: Readonly<Record<string, number>> = Object.freeze({
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, security: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9,
  authpriv: 10, ftp: 11, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
});
