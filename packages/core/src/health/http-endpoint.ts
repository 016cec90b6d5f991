import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PreError, errorMessage } from '../errors.js';
import { parseBindAddress, type BindAddress } from '../listeners/address.js';
import type { Logger } from '../logging/error-log.js';

/** How often a new master (USR2) tries the address its old master still holds. */
const RETRY_MS = 250;

export interface EndpointOptions {
  /** The setting and its flag, for messages: e.g. `prometheus_bind` / `--prometheus-bind`. */
  readonly setting: string;
  readonly flag: string;
  /** The path the URL in the log ends with (`/metrics`, `/ready`). */
  readonly path: string;
  /**
   * This master was started by USR2 and its old master still runs: an address in use is the old
   * master's, so wait for it instead of failing (the old master keeps serving it until it exits, which
   * also makes a rollback safe).
   */
  readonly oldMasterHoldsIt: boolean;
  readonly log: Logger;
  /** Called with the URL once the server listens (at once, or after the old master let go). */
  readonly onListening: (url: string) => void;
}

/**
 * Binds one of the arbiter's own HTTP servers (metrics, probes) on `bind`. Throws a PreError for a bad
 * address or a failed bind, except an address in use while an old master runs: then it retries in the
 * background until the old master exits; `cancel()` of the result stops that.
 */
export async function listenEndpoint(server: Server, bind: string, options: EndpointOptions): Promise<{ cancel(): void }> {
  const address = parseEndpointAddress(bind, options);
  let timer: NodeJS.Timeout | null = null;
  let cancelled = false;
  const handle = { cancel: () => ((cancelled = true), timer && clearTimeout(timer)) };
  try {
    await listenOnce(server, address);
  } catch (err) {
    if (!options.oldMasterHoldsIt || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw bindError(bind, options, err);
    options.log.info(`${options.setting} ${bind} is still held by the old master; serving it once that master exits`);
    const retry = (): void => {
      timer = null;
      if (cancelled) return;
      listenOnce(server, address).then(
        () => options.onListening(endpointUrl(server, options.path)),
        (retryErr: unknown) => {
          if ((retryErr as NodeJS.ErrnoException).code === 'EADDRINUSE') timer = setTimeout(retry, RETRY_MS).unref();
          else options.log.error(bindError(bind, options, retryErr).message);
        },
      );
    };
    timer = setTimeout(retry, RETRY_MS).unref();
    return handle;
  }
  options.onListening(endpointUrl(server, options.path));
  return handle;
}

function parseEndpointAddress(bind: string, options: EndpointOptions): Exclude<BindAddress, { kind: 'fd' }> {
  let address: BindAddress | null;
  try {
    address = parseBindAddress(bind);
  } catch {
    address = null;
  }
  if (!address || address.kind === 'fd') {
    throw new PreError('PRE_ERR_BAD_SETTING', `Invalid value for setting '${options.setting}' (${options.flag}): ${JSON.stringify(bind)}. Expected HOST:PORT (e.g. 127.0.0.1:9100) or unix:PATH.`);
  }
  return address;
}

async function listenOnce(server: Server, address: Exclude<BindAddress, { kind: 'fd' }>): Promise<void> {
  const listening = once(server, 'listening');
  const failed = once(server, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => {}); // settled by the race below, or never
  server.listen(address.kind === 'unix' ? { path: address.path } : { host: address.host, port: address.port });
  await Promise.race([listening, failed]);
}

function bindError(bind: string, options: EndpointOptions, err: unknown): PreError {
  return new PreError('PRE_ERR_BIND', `Cannot serve ${options.path} on ${bind} (${options.setting}): ${errorMessage(err)}`, { cause: err });
}

/** e.g. `http://127.0.0.1:9100/metrics`, or `unix:/run/metrics.sock`. */
export function endpointUrl(server: Server, path: string): string {
  const where = server.address();
  if (typeof where === 'string') return `unix:${where}`;
  const { address, port } = where as AddressInfo;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}${path}`;
}
