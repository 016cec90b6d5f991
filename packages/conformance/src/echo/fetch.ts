/**
 * The echo app for fetch-only worker classes (`uws`). A fetch `Request` normalises what it carries
 * (lower-case names, repeats joined, URL parsed), so the raw view comes from the class's context when
 * it offers one (`context.rawHeaders`, flat like node's, and `context.httpVersion`); without it the
 * answer says `raw: false` and the kit compares normalised values.
 */
import { echoBody, pairs, splitTarget, type EchoView } from './view.js';

/** What a class may offer beside `remoteAddress`. */
interface RawFetchContext {
  readonly remoteAddress?: string | undefined;
  readonly rawHeaders?: readonly string[];
  readonly httpVersion?: string;
  readonly rawUrl?: string;
  readonly headerNamesLowercased?: boolean;
}

export async function echoFetch(request: Request, context?: RawFetchContext): Promise<Response> {
  const body = Buffer.from(await request.arrayBuffer());
  const url = new URL(request.url);
  const rawHeaders = context?.rawHeaders;
  const view: EchoView = {
    method: request.method,
    ...splitTarget(context?.rawUrl ?? `${url.pathname}${url.search === '' && !request.url.endsWith('?') ? '' : url.search || '?'}`),
    version: context?.httpVersion ?? '1.1',
    headers: rawHeaders ? pairs(rawHeaders) : [...request.headers],
    trailers: [],
    body_b64: body.toString('base64'),
    raw: rawHeaders === undefined || context?.httpVersion === undefined ? false : context.headerNamesLowercased ? 'names-lowercased' : true,
  };
  return new Response(echoBody(view), { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' } });
}

export default { fetch: echoFetch };
