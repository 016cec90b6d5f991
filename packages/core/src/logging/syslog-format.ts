/** A message body on one line: line breaks (a stack) become `#012`, CR `#015`, as rsyslog writes them. */
export function syslogBody(body: string): string {
  return body.includes('\n') || body.includes('\r') ? body.replace(/\r/g, '#015').replace(/\n/g, '#012') : body;
}

/** Gunicorn's message (RFC 3164 as Python's SysLogHandler sends it): `<11>pre.app.error: [123] boom`. @internal */
export function formatSyslogMessage(priority: number, tag: string, body: string): string {
  return `<${priority}>${tag}: ${syslogBody(body)}`;
}
