import { readFileSync } from 'node:fs';
import { PreError, type Logger, type Settings } from '@pre/core';
import type { AppOptions } from './native.js';
import { UWS_MAX_HEADER_FIELDS } from './request-head.js';

/** uWS's own HTTP timeout (compiled in): a request head (or a stalled body) not done in ~10 s is closed. */
export const UWS_HTTP_TIMEOUT_S = 10;

type TlsSettings = Pick<Settings, 'certfile' | 'keyfile' | 'ca_certs' | 'cert_reqs' | 'ciphers' | 'tls_min_version' | 'ssl_context'>;

function refuse(setting: string, value: unknown, why: string): never {
  throw new PreError('PRE_ERR_BAD_SETTING', `${setting} ${JSON.stringify(value)} is not supported by the uws worker class: ${why}`);
}

/**
 * The SSLApp options for the TLS settings, or null for plain HTTP. uWS takes file names, a CA file
 * (which asks for a client certificate and verifies one when given) and a cipher list; it has no
 * minimum-version option (TLS 1.2 is its floor) and no way to require a client certificate.
 */
export function sslAppOptions(settings: TlsSettings): AppOptions | null {
  const { certfile, keyfile } = settings;
  if (!certfile && !keyfile) return null;
  if (settings.ssl_context) refuse('ssl_context', 'hook', "uWS takes certificate files, not Node's TLS options. Remove the hook, or use --worker-class async.");
  if (settings.tls_min_version !== 'TLSv1.2') refuse('tls_min_version', settings.tls_min_version, 'uWS has no minimum-version option (its floor is TLS 1.2). Use TLSv1.2, or --worker-class async.');
  if (settings.cert_reqs === 2) refuse('cert_reqs', 2, 'uWS verifies a client certificate when one is given but cannot require one. Use cert_reqs 1 with ca_certs, or --worker-class async.');
  if (settings.cert_reqs === 1 && !settings.ca_certs) refuse('cert_reqs', 1, 'uWS asks for client certificates only with a CA file: set ca_certs.');
  return {
    cert_file_name: certfile!,
    key_file_name: keyfile!,
    ...(settings.cert_reqs === 1 ? { ca_file_name: settings.ca_certs! } : {}),
    ...(settings.ciphers ? { ssl_ciphers: settings.ciphers } : {}),
  };
}

/**
 * What the uws class refuses or adapts at start-up, with the setting named: TLS options uWS lacks,
 * and a headers_timeout other than uWS's built-in one. Logs what uWS does differently (header count).
 */
export function checkUwsSettings(settings: Settings, log: Logger): void {
  sslAppOptions(settings);
  if (settings.headers_timeout !== UWS_HTTP_TIMEOUT_S) {
    refuse('headers_timeout', settings.headers_timeout, `uWS closes a connection whose request head is not complete within its own ${UWS_HTTP_TIMEOUT_S} s (compiled in; no 408). Leave headers_timeout at ${UWS_HTTP_TIMEOUT_S}, or use --worker-class async.`);
  }
  const fields = settings.limit_request_fields;
  if (fields === 0 || fields > UWS_MAX_HEADER_FIELDS) {
    log.info(`uws: limit_request_fields ${fields} is capped at ${UWS_MAX_HEADER_FIELDS}, uWS's compiled maximum; uWS closes a request with more header fields after ~${UWS_HTTP_TIMEOUT_S} s without an answer (the other classes answer 431).`);
  }
  if (tcpMigrateReqOff()) {
    log.info('uws: net.ipv4.tcp_migrate_req is 0, so a reload (HUP, max_requests, USR2) can reset a connection the kernel had just queued on a retiring worker\'s SO_REUSEPORT listener; `sysctl -w net.ipv4.tcp_migrate_req=1` (Linux >= 5.14) moves those to the workers still listening.');
  }
  if (settings.proxy_protocol) log.info('uws: proxy_protocol accepts the binary PROXY v2 header only (uWS parses it); a v1 text header is closed by uWS without an answer.');
}

/** True on Linux when the kernel resets (instead of migrating) connections queued on a closed SO_REUSEPORT listener. */
export function tcpMigrateReqOff(): boolean {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_migrate_req', 'utf8').trim() === '0';
  } catch {
    return false; // not Linux, or a kernel before 5.14 (nothing to tell: no setting to change)
  }
}
