/** The fetch-style app contract: what a fetch handler is given and returns. */

export type FetchHandler = (request: Request, context: FetchContext) => Response | Promise<Response>;

/** Given to the fetch handler as its second argument. */
export interface FetchContext {
  remoteAddress: string | undefined;
  /**
   * The header fields as received, flat `[name, value, ...]`, for apps that need the raw view (an echo
   * or conformance app). Optional: a worker class fills it when it can (uws lower-cases the names).
   */
  readonly rawHeaders?: readonly string[];
  /** `'1.1'` or `'1.0'`, when the worker class knows it. */
  readonly httpVersion?: string;
  /** The request-target as received (undecoded, unnormalised), when the worker class knows it. */
  readonly rawUrl?: string;
  /** True when the class cannot see the case of header names (uWS lower-cases them before pre sees them). */
  readonly headerNamesLowercased?: boolean;
}

export interface ToRequestOptions {
  /** The scheme of the request URL; default 'http'. */
  scheme?: 'http' | 'https';
}
