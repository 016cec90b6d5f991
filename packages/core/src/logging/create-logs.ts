import type { Settings } from '../settings/registry.js';
import { AccessLog } from './access-log.js';
import { ErrorLog } from './error-log.js';
import { SyslogSink } from './syslog.js';

type ErrorLogSettings = Pick<Settings, 'errorlog' | 'loglevel' | 'log_format' | 'syslog' | 'syslog_addr' | 'syslog_prefix' | 'syslog_facility'>;

/**
 * The error log of the arbiter or a worker, from the settings: the file (or stderr), the level, the
 * format, and the copy to syslog. `procName` names the program in syslog when `syslog_prefix` is unset
 * (Gunicorn's default).
 */
export function createErrorLog(settings: ErrorLogSettings, procName: string): ErrorLog {
  const syslog = settings.syslog
    ? new SyslogSink({ address: settings.syslog_addr, facility: settings.syslog_facility, prefix: settings.syslog_prefix ?? procName })
    : null;
  return new ErrorLog({ path: settings.errorlog, level: settings.loglevel, format: settings.log_format, syslog });
}

/** A worker's access log, from the settings. */
export function createAccessLog(settings: Pick<Settings, 'accesslog' | 'access_log_format' | 'log_format'>): AccessLog {
  return new AccessLog({ path: settings.accesslog, format: settings.access_log_format, logFormat: settings.log_format });
}
