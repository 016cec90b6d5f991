/** A corpus case as data: raw bytes and what the server must do with them. */
import type { EchoView } from '../echo/view.js';
import { expectRefused, expectServed, expectServedOrRefused, type RefusalRule, type ServeRule } from '../expect.js';
import type { ParsedResponse } from '../http-response.js';
import type { KitCase } from '../kit-case.js';

export type Expectation =
  | { kind: 'serve'; echo: EchoView; rule?: ServeRule }
  | { kind: 'refuse'; rule?: RefusalRule }
  /** The RFC lets the server choose: a refusal by the rule, or a 2xx that passes `served` (null: fine). */
  | { kind: 'either'; served: EchoView | ((response: ParsedResponse) => string | null); rule?: RefusalRule & ServeRule };

export interface CorpusEntry {
  id: string;
  title: string;
  bytes: Buffer | string;
  expect: Expectation;
  /** Half-close after writing. */
  end?: boolean;
}

export function corpusCase(entry: CorpusEntry): KitCase {
  return {
    id: entry.id,
    title: entry.title,
    async run(ctx) {
      const port = ctx.server.port;
      const send = { end: entry.end ?? false, timeoutMs: ctx.env.options.responseTimeoutMs };
      const e = entry.expect;
      if (e.kind === 'serve') await expectServed(port, entry.bytes, e.echo, { ...e.rule, ...send });
      else if (e.kind === 'refuse') await expectRefused(port, entry.bytes, { ...e.rule, ...send });
      else ctx.note(await expectServedOrRefused(port, entry.bytes, e.served, { ...e.rule, ...send }));
    },
  };
}

/** Joins header lines with CRLF and ends the head: `lines('GET / HTTP/1.1', 'Host: x')`. */
export function head(...lines: string[]): string {
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export const HOST = 'Host: 127.0.0.1';

/** Parses the echo answer (null if it is not one). */
export function echoOf(response: ParsedResponse): EchoView | null {
  try {
    return JSON.parse(response.body.toString('utf8')) as EchoView;
  } catch {
    return null;
  }
}

/** An either-check that the served echo is this method and target, whatever else it carries. */
export function servedAs(method: string, path: string, extra?: (echo: EchoView) => string | null): (r: ParsedResponse) => string | null {
  return (response) => {
    const echo = echoOf(response);
    if (!echo) return `a 2xx that is not the echo: ${response.statusLine}`;
    if (echo.method !== method || echo.path !== path) return `served as ${echo.method} ${echo.path}`;
    return extra ? extra(echo) : null;
  };
}
