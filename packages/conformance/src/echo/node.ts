/**
 * The echo app for node request listeners: answers every request with 200 and the request as
 * node:http parsed it (`rawHeaders`, `rawTrailers`, `url`, `httpVersion`: latin-1, one character
 * per received byte). `pre-conformance` compares it byte for byte with what it sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { echoBody, pairs, splitTarget, type EchoView } from './view.js';

export function echoView(req: IncomingMessage, body: Buffer): EchoView {
  const target = req.url ?? '';
  return {
    method: req.method ?? '',
    ...splitTarget(target),
    version: req.httpVersion,
    headers: pairs(req.rawHeaders),
    trailers: pairs(req.rawTrailers),
    body_b64: body.toString('base64'),
    raw: true,
  };
}

export default function echo(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const json = Buffer.from(echoBody(echoView(req, Buffer.concat(chunks))), 'utf8');
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': json.length });
    res.end(json);
  });
}
