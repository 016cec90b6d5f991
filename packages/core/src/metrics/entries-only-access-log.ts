import { AccessLog } from '../logging/access-log.js';

/**
 * Worker classes build an AccessLogEntry (status, duration) for `requestFinished` only when
 * `accessLog.enabled`. With metrics on, every request needs one, so the worker gets this log: it says it
 * is enabled and writes nothing.
 */
class EntriesOnlyAccessLog extends AccessLog {
  override readonly enabled = true;

  constructor() {
    super({ path: null, format: '' });
  }
}

/** The access log to hand a worker class when metrics are on. */
export function accessLogForMetrics(log: AccessLog): AccessLog {
  return log.enabled ? log : new EntriesOnlyAccessLog();
}
