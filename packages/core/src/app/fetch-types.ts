/** The fetch-style app contract: what a fetch handler is given and returns. */

export type FetchHandler = (request: Request, context: FetchContext) => Response | Promise<Response>;

/** Given to the fetch handler as its second argument. */
export interface FetchContext {
  remoteAddress: string | undefined;
}

export interface ToRequestOptions {
  /** The scheme of the request URL; default 'http'. */
  scheme?: 'http' | 'https';
}
