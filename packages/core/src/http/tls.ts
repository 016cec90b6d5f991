import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TlsOptions } from 'node:tls';
import { PreError } from '../errors.js';
import type { Settings } from '../settings/registry.js';

type TlsSettings = Pick<Settings, 'certfile' | 'keyfile' | 'ca_certs' | 'cert_reqs' | 'ciphers' | 'tls_min_version' | 'ssl_context'>;

function readPem(file: string, setting: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new PreError('PRE_ERR_BAD_SETTING', `Cannot read ${setting} ${file}: ${(err as Error).message}`);
  }
}

/** The TLS server options the settings describe (after the ssl_context hook), or null for plain HTTP. */
export function tlsOptions(settings: TlsSettings): TlsOptions | null {
  if (!settings.certfile && !settings.keyfile) return null;
  if (!settings.certfile || !settings.keyfile) {
    throw new PreError('PRE_ERR_BAD_SETTING', `TLS needs both 'certfile' and 'keyfile' (got only ${settings.certfile ? 'certfile' : 'keyfile'}).`);
  }
  let options: TlsOptions = {
    cert: readPem(settings.certfile, 'certfile'),
    key: readPem(settings.keyfile, 'keyfile'),
    minVersion: settings.tls_min_version,
    requestCert: settings.cert_reqs > 0,
    rejectUnauthorized: settings.cert_reqs === 2,
    ...(settings.ca_certs ? { ca: readPem(settings.ca_certs, 'ca_certs') } : {}),
    ...(settings.ciphers ? { ciphers: settings.ciphers } : {}),
  };
  if (settings.ssl_context) {
    const result = settings.ssl_context(options) as TlsOptions | Promise<unknown> | undefined;
    if (!result || typeof (result as Promise<unknown>).then === 'function') {
      throw new PreError('PRE_ERR_BAD_SETTING', 'The ssl_context hook must return the TLS options synchronously.');
    }
    options = result as TlsOptions;
  }
  return options;
}

/** Fails fast in the arbiter, with the setting named, when the certificate, key or options cannot be used. */
export function checkTlsSettings(settings: TlsSettings): boolean {
  const options = tlsOptions(settings);
  if (!options) return false;
  try {
    // node:tls is loaded only when TLS is on (~15 ms of start-up otherwise).
    (createRequire(import.meta.url)('node:tls') as typeof import('node:tls')).createSecureContext(options);
  } catch (err) {
    throw new PreError('PRE_ERR_BAD_SETTING', `Invalid TLS settings (certfile ${settings.certfile}, keyfile ${settings.keyfile}): ${(err as Error).message}`);
  }
  return true;
}

/**
 * A TLS server (https.Server, or any tls.Server): its connections arrive as 'secureConnection'. Asked of
 * the object rather than with `instanceof https.Server`, so that a plain-HTTP worker never loads node:https.
 */
export function isTlsServer(server: object): boolean {
  return typeof (server as { addContext?: unknown }).addContext === 'function';
}
