/** The kit's expectations on raw exchanges: served byte-exactly, or refused with a 4xx and closed. */
import { CaseFailure, check } from './kit-case.js';
import { compareEcho } from './echo-check.js';
import type { EchoView } from './echo/view.js';
import { preview, saysClose, type ParsedResponse } from './http-response.js';
import { RawConnection, type ReadResult } from './raw-connection.js';

/**
 * How long the server gets to close after a refusal. How long it gets to answer is the kit's
 * `--response-timeout` (KitOptions.responseTimeoutMs), passed to every exchange.
 */
export const CLOSE_TIMEOUT_MS = 3_000;

export interface SendOptions {
  /** Half-close after writing (the server sees EOF). */
  end?: boolean;
  head?: boolean;
  /** How long to wait for an answer before it counts as "no response" (--response-timeout). */
  timeoutMs: number;
}

export async function exchange(port: number, bytes: Buffer, options: SendOptions): Promise<{ connection: RawConnection; read: ReadResult }> {
  const connection = await RawConnection.open(port);
  connection.write(bytes);
  if (options.end) connection.end();
  const read = await connection.readResponse(options.timeoutMs, options.head);
  return { connection, read };
}

export function describeRead(read: ReadResult): string {
  if (read.response) return `${read.response.statusLine} ${preview(read.response.body, 60)}`;
  return `${read.problem}${read.bytes && read.bytes.length > 0 ? ` ${preview(read.bytes)}` : ''}`;
}

export interface RefusalRule {
  /** Acceptable statuses (default: any 4xx). */
  statuses?: readonly number[];
  /**
   * The request was the HTTP/2 connection preface: a class that speaks h2c answers with an HTTP/2
   * SETTINGS frame (RFC 9113 §3.4), which is right too.
   */
  http2SettingsOk?: boolean;
  /** A close without any response is acceptable (incomplete requests: RFC 9112 §8 says MAY answer). */
  silentCloseOk?: boolean;
}

function statusesText(rule: RefusalRule): string {
  return rule.statuses ? rule.statuses.join('/') : '4xx';
}

function isAllowed(status: number, rule: RefusalRule): boolean {
  return rule.statuses ? rule.statuses.includes(status) : status >= 400 && status < 500;
}

/** Checks a refusal on an open exchange: the status, then the close. */
export async function checkRefused(connection: RawConnection, read: ReadResult, rule: RefusalRule = {}): Promise<void> {
  try {
    const expected = `${statusesText(rule)} and the connection closed`;
    if (!read.response) {
      if (rule.silentCloseOk && connection.closed && (read.bytes?.length ?? 0) === 0) return;
      if (rule.http2SettingsOk && isHttp2Settings(read.bytes)) return;
      throw new CaseFailure(expected, connection.closed && (read.bytes?.length ?? 0) === 0 ? 'a silent close (no status)' : describeRead(read));
    }
    check(isAllowed(read.response.status, rule), expected, describeRead(read));
    const closed = await connection.waitClose(CLOSE_TIMEOUT_MS);
    check(closed, expected, `${read.response.statusLine}, but the connection stayed open ${CLOSE_TIMEOUT_MS} ms`);
  } finally {
    connection.destroy();
  }
}

export async function expectRefused(port: number, bytes: Buffer | string, rule: RefusalRule & SendOptions): Promise<void> {
  const { connection, read } = await exchange(port, toBytes(bytes), rule);
  await checkRefused(connection, read, rule);
}

export interface ServeRule {
  /** The server must close the connection after this response (RFC 9112 §6.3: CL with TE). */
  mustClose?: boolean;
}

export async function checkServed(connection: RawConnection, read: ReadResult, expected: EchoView, rule: ServeRule = {}): Promise<ParsedResponse> {
  check(read.response, 'a 200 with the echo of the request', () => describeRead(read));
  const diff = compareEcho(read.response, expected);
  check(diff === null, 'the echo of what was sent', diff ?? '');
  if (rule.mustClose) {
    const closed = await connection.waitClose(CLOSE_TIMEOUT_MS);
    check(closed, 'the connection closed after the response', `${read.response.statusLine}${saysClose(read.response) ? ' with Connection: close' : ''}, connection still open`);
  }
  return read.response;
}

export async function expectServed(port: number, bytes: Buffer | string, expected: EchoView, rule: ServeRule & SendOptions): Promise<void> {
  const { connection, read } = await exchange(port, toBytes(bytes), rule);
  try {
    await checkServed(connection, read, expected, rule);
  } finally {
    connection.destroy();
  }
}

/**
 * Where the RFC lets the server choose (MAY reject or MAY accept): a refusal must follow the
 * refusal rule, a 2xx must be the expected echo (and pass `served`'s extra check, if any).
 */
export async function expectServedOrRefused(
  port: number, bytes: Buffer | string, expected: EchoView | ((echo: ParsedResponse) => string | null), rule: RefusalRule & ServeRule & SendOptions,
): Promise<'served' | 'refused'> {
  const { connection, read } = await exchange(port, toBytes(bytes), rule);
  if (read.response && read.response.status >= 200 && read.response.status < 300) {
    try {
      if (typeof expected === 'function') {
        const problem = expected(read.response);
        check(problem === null, 'a refusal or a correct echo', problem ?? '');
        if (rule.mustClose) check(await connection.waitClose(CLOSE_TIMEOUT_MS), 'the connection closed after the response', 'still open');
      } else {
        await checkServed(connection, read, expected, rule);
      }
    } finally {
      connection.destroy();
    }
    return 'served';
  }
  await checkRefused(connection, read, rule);
  return 'refused';
}

export function toBytes(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
}

/** An HTTP/2 frame header (9 bytes) of type SETTINGS (0x4) on stream 0: a server's connection preface. */
function isHttp2Settings(bytes: Buffer | undefined): boolean {
  return bytes !== undefined && bytes.length >= 9 && bytes[3] === 0x04 && (bytes.readUInt32BE(5) & 0x7fffffff) === 0;
}
