import { probeResponseBodySlot } from '@pre/core';
import { snapshotBytes } from './body-snapshot.js';
import { forwardInternals } from './internals.js';

/**
 * Node 20's undici Response costs ~16 µs to construct (webidl checks, a ReadableStream per body):
 * more than uWS needs for the whole request. A uws worker therefore replaces the global `Response`
 * with LightResponse: for the common `new Response(body, { status, headers: {...} })`, with a string,
 * Uint8Array (Buffer), ArrayBuffer or no body, it
 * keeps the parts, which the writer sends directly; anything else (other bodies, a Headers init,
 * statusText, invalid input) builds the native Response at once, so errors surface where they would.
 * The native Response behind a light one is built on first use of anything but `status`/`ok`
 * (headers, body, text(), clone(), ...). `instanceof Response` holds for both kinds, and undici's
 * internal slots are forwarded, so undici's own methods accept a light Response.
 * `PRE_UWS_NATIVE_RESPONSE=1` keeps the native global.
 */
const NativeResponse = globalThis.Response;

/** What the writer sends for an untouched light Response. */
export interface ResponseParts {
  readonly status: number;
  /** Flat [name, value, ...]: lower-case, validated, each name once. */
  readonly headers: readonly string[];
  /** A string, or a private copy of the bytes (undici copies them too, so later changes by the app don't show). */
  readonly body: string | Uint8Array | null;
}

const TOKEN = /^[!#$%&'*+\-.^`|~\w]+$/;
/** Printable ASCII and tab, without leading or trailing whitespace (undici would trim it). */
const PLAIN_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?)?$/;
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** Header names already checked, lower-cased: apps send the same few on every response. Bounded. */
const checkedNames = new Map<string, string>();
const MAX_CHECKED_NAMES = 256;

/** `name` lower-cased when it is a valid header name (a token), else undefined. */
function lowerCaseName(name: string): string | undefined {
  let lower = checkedNames.get(name);
  if (lower === undefined) {
    if (!TOKEN.test(name)) return undefined;
    lower = name.toLowerCase();
    if (checkedNames.size < MAX_CHECKED_NAMES) checkedNames.set(name, lower);
  }
  return lower;
}

/** The parts of `new Response(body, init)` when the fast path can represent it exactly, else undefined. */
function partsOf(body: unknown, init: ResponseInit | undefined): ResponseParts | undefined {
  const bytes = body instanceof Uint8Array || body instanceof ArrayBuffer;
  if (body !== null && body !== undefined && typeof body !== 'string' && !bytes) return undefined;
  let status = 200;
  const headers: string[] = [];
  if (init !== undefined) {
    if (typeof init !== 'object' || init === null) return undefined;
    if (init.statusText !== undefined || init instanceof NativeResponse) return undefined;
    if (init.status !== undefined) {
      status = init.status;
      if (!Number.isInteger(status) || status < 200 || status > 599) return undefined;
    }
    const given = init.headers;
    if (given !== undefined) {
      if (typeof given !== 'object' || given === null) return undefined;
      const proto: unknown = Object.getPrototypeOf(given);
      if (proto !== Object.prototype && proto !== null) return undefined; // Headers, arrays of pairs
      for (const name of Object.keys(given)) {
        const value: unknown = (given as Record<string, unknown>)[name];
        if (typeof value !== 'string' || !PLAIN_VALUE.test(value)) return undefined;
        const lower = lowerCaseName(name);
        if (lower === undefined) return undefined;
        for (let i = 0; i < headers.length; i += 2) if (headers[i] === lower) return undefined; // undici would join them
        headers.push(lower, value);
      }
    }
  }
  if (body === null || body === undefined) return { status, headers, body: null };
  if (NULL_BODY_STATUS.has(status)) return undefined;
  if (typeof body === 'string') {
    if (!headers.includes('content-type')) headers.push('content-type', 'text/plain;charset=UTF-8');
    return { status, headers, body };
  }
  const copy = copyOf(body as Uint8Array | ArrayBuffer);
  return copy === undefined ? undefined : { status, headers, body: copy };
}

/** A copy of the bytes, as undici makes; undefined for a detached buffer (the native Response throws). */
function copyOf(body: Uint8Array | ArrayBuffer): Uint8Array | undefined {
  try {
    if (body instanceof ArrayBuffer) {
      if (Object.getPrototypeOf(body) !== ArrayBuffer.prototype) return undefined; // a subclass: let undici decide
      return snapshotBytes(body);
    }
    if (body.byteLength === 0 && body.buffer.byteLength === 0 && body.byteOffset === 0) new Uint8Array(body.buffer); // throws when detached
    return snapshotBytes(body);
  } catch {
    return undefined;
  }
}

class LightResponse {
  #parts: ResponseParts | undefined;
  #real: Response | undefined;

  constructor(body?: ConstructorParameters<typeof Response>[0], init?: ResponseInit) {
    this.#parts = partsOf(body, init);
    if (this.#parts === undefined) this.#real = new NativeResponse(body, init);
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    if (this === LightResponse) return value instanceof NativeResponse;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  static json(data: unknown, init?: ResponseInit): Response {
    return NativeResponse.json(data, init);
  }

  static error(): Response {
    return NativeResponse.error();
  }

  static redirect(url: string | URL, status?: Parameters<typeof Response.redirect>[1]): Response {
    return NativeResponse.redirect(url, status ?? 302);
  }

  /** The parts of a light Response nobody has looked into, else undefined (send the native one). */
  static partsOf(response: unknown): ResponseParts | undefined {
    return typeof response === 'object' && response !== null && #parts in response && response.#real === undefined ? response.#parts : undefined;
  }

  get status(): number {
    return this.#real === undefined ? this.#parts!.status : this.#real.status;
  }

  get ok(): boolean {
    const status = this.status;
    return status >= 200 && status < 300;
  }

  get headers(): Headers {
    return this.materialize().headers;
  }

  /** The native Response, built on first use (from a snapshot of the parts). */
  materialize(): Response {
    if (this.#real === undefined) {
      const { status, headers, body } = this.#parts!;
      const pairs: [string, string][] = [];
      for (let i = 0; i < headers.length; i += 2) pairs.push([headers[i]!, headers[i + 1]!]);
      this.#real = new NativeResponse(body, { status, headers: pairs });
    }
    return this.#real;
  }
}

Object.defineProperty(LightResponse, 'name', { value: 'Response' });
Object.defineProperty(LightResponse.prototype, Symbol.toStringTag, { value: 'Response' });
Object.defineProperty(LightResponse.prototype, Symbol.for('nodejs.util.inspect.custom'), {
  value(this: LightResponse, _depth: number, options: object, inspect: (value: unknown, options: object) => string) {
    return inspect(this.materialize(), options);
  },
});
Object.setPrototypeOf(LightResponse, NativeResponse);
Object.setPrototypeOf(LightResponse.prototype, NativeResponse.prototype);

/** Verified once: a light Response passes for a native one in undici. */
const lightResponses: boolean = (() => {
  try {
    if (!forwardInternals(LightResponse.prototype, new NativeResponse('probe'), (r: LightResponse) => r.materialize())) return false;
    const probe = new LightResponse('probe', { status: 201, headers: { 'X-A': '1' } }) as unknown as Response;
    const parts = LightResponse.partsOf(probe);
    if (parts?.body !== 'probe' || parts.headers.join() !== 'x-a,1,content-type,text/plain;charset=UTF-8') return false;
    const copy = NativeResponse.prototype.clone.call(probe);
    return probe instanceof NativeResponse && copy.status === 201 && copy.headers.get('x-a') === '1' && probe.headers.get('content-type') === 'text/plain;charset=UTF-8';
  } catch {
    return false;
  }
})();

/** Replaces the global Response with LightResponse (in this thread), unless disabled or unverified. */
export function installLightResponse(): void {
  if (!lightResponses || process.env.PRE_UWS_NATIVE_RESPONSE === '1' || globalThis.Response !== NativeResponse) return;
  // Core finds where Node's Response keeps an in-memory body by building one: before the swap, or it
  // would build a light one and never find it (bodies of Response.json() and the like would stream).
  probeResponseBodySlot();
  Object.defineProperty(globalThis, 'Response', { value: LightResponse, writable: true, enumerable: false, configurable: true });
}

export const responseParts: (response: unknown) => ResponseParts | undefined = LightResponse.partsOf;
