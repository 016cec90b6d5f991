import type { LogLevel } from './levels.js';
import { parseSyslogAddress, SYSLOG_FACILITIES } from './syslog-address.js';
import { syslogBody } from './syslog-format.js';
import { createSyslogTransport, type ProblemReporter, type SyslogTransport } from './syslog-transport.js';
import { PreError } from '../errors.js';

/** syslog(3) severities for Gunicorn's levels (Python's SysLogHandler mapping). */
const SEVERITY: Readonly<Record<LogLevel, number>> = { debug: 7, info: 6, warning: 4, error: 3, critical: 2 };

export interface SyslogOptions {
  /** `udp://host:port`, `tcp://host:port`, `unix:///path` (datagram) or `unix:///path#stream`. */
  readonly address: string;
  /** A name from SYSLOG_FACILITIES (`user`, `daemon`, `local0`…). */
  readonly facility: string;
  /** The program name in each message: Gunicorn's `gunicorn.<prefix>.error` becomes `pre.<prefix>.error`. */
  readonly prefix: string;
}

/**
 * The error log's copy to syslog, in Gunicorn's format (RFC 3164 as Python's SysLogHandler sends it, with
 * no timestamp or host: the local daemon adds them): `<PRI>pre.PREFIX.error: BODY`. Line breaks inside
 * BODY (a stack) become `#012` (and CR `#015`, as rsyslog writes them), so a message is always one line.
 * Over a unix datagram socket, logger(1) writes the header: `<PRI>Mmm dd hh:mm:ss pre.PREFIX.error: BODY`.
 */
export class SyslogSink {
  readonly #transport: SyslogTransport;
  readonly #facility: number;
  /** Told when lines cannot be delivered; the ErrorLog that owns the sink writes it to its file. */
  onProblem: ProblemReporter = () => {};

  constructor(options: SyslogOptions) {
    const address = parseSyslogAddress(options.address);
    if (typeof address === 'string') {
      throw new PreError('PRE_ERR_BAD_SETTING', `syslog_addr: '${options.address}' is not ${address}`);
    }
    const facility = SYSLOG_FACILITIES[options.facility];
    if (facility === undefined) {
      throw new PreError('PRE_ERR_BAD_SETTING', `syslog_facility: unknown facility '${options.facility}'`);
    }
    this.#facility = facility * 8;
    const tag = `pre.${syslogPrefix(options.prefix)}.error`;
    this.#transport = createSyslogTransport(address, tag, `'${options.address}'`, (message) => this.onProblem(message));
  }

  send(level: LogLevel, body: string): void {
    this.#transport.send(this.#facility + SEVERITY[level], syslogBody(body));
  }

  close(): void {
    this.#transport.close();
  }
}

/** Gunicorn replaces ':' (proc names like `app:main`); spaces would end the tag, so they go too. */
function syslogPrefix(prefix: string): string {
  return prefix.replace(/:/g, '.').replace(/\s+/g, '_');
}
