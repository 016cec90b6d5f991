/** Stable error codes: match on `err.code`, never on the message. */
export type PreErrorCode =
  | 'PRE_ERR_USAGE'
  | 'PRE_ERR_BAD_SETTING'
  | 'PRE_ERR_UNKNOWN_SETTING'
  | 'PRE_ERR_CONFIG_FILE'
  | 'PRE_ERR_APP_LOAD'
  | 'PRE_ERR_APP_SHAPE'
  | 'PRE_ERR_WORKER_CLASS'
  | 'PRE_ERR_BIND'
  | 'PRE_ERR_PIDFILE'
  | 'PRE_ERR_LOG_FILE';

export class PreError extends Error {
  readonly code: PreErrorCode;

  constructor(code: PreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PreError';
    this.code = code;
  }
}

/** Process exit statuses, Gunicorn's where they exist. */
export const ExitCode = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  WORKER_BOOT_ERROR: 3,
  APP_LOAD_ERROR: 4,
} as const;

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
