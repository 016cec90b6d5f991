/**
 * Every error code pre uses, with what it means: the one source for the `PreErrorCode` union and for
 * the table in docs/errors.md (a test checks that the table matches). Codes are stable: match on
 * `err.code`, never on the message. A worker package throws `new PreError(code, message)` from `@pre/core`.
 */
export const ERROR_CODES = {
  PRE_ERR_USAGE: 'The command line is wrong: no APP, an unknown flag, a missing value. Exit status 2.',
  PRE_ERR_BAD_SETTING: 'A setting has a bad value; the message names the setting and the value.',
  PRE_ERR_UNKNOWN_SETTING: 'A config file or `PRE_CMD_ARGS` names a setting that does not exist.',
  PRE_ERR_CONFIG_FILE: 'The config file cannot be found, imported or read.',
  PRE_ERR_APP_LOAD: 'The app module cannot be found or imported, or its factory threw. Exit status 4.',
  PRE_ERR_APP_SHAPE: 'The app export is not something pre can serve (an `http.Server`, a non-function, …). Exit status 4.',
  PRE_ERR_APP_HOOK: "The app's `onWorkerStart`/`onWorkerStop` failed or did not finish in time. Exit status 4 at boot.",
  PRE_ERR_WORKER_CLASS: 'The worker class cannot be resolved or loaded, or cannot run here (e.g. no native uWS build). Exit status 3.',
  PRE_ERR_UNSUPPORTED_SETTING: 'The worker class cannot honour a setting, or serve the app (see `WorkerCapabilities`); the message names the setting and the class. Exit status 3.',
  PRE_ERR_WORKER_BOOT: 'A worker class failed to start serving (a thread that did not start, …). Exit status 3.',
  PRE_ERR_BIND: 'A socket cannot be bound or used (address in use, permission, a worker class that cannot serve that address).',
  PRE_ERR_PIDFILE: 'The pidfile cannot be written, or names another running pre.',
  PRE_ERR_BODY_TOO_LARGE: 'A request body crossed `limit_request_body`: the error the app\'s body stream gets (the client got `413`, or its connection was closed).',
  PRE_ERR_LOG_FILE: 'A log file (`errorlog`, `accesslog`) cannot be opened.',
  PRE_ERR_CTL_CONNECT: '`pre ctl`: the control socket cannot be reached (not running, wrong path, permissions). Exit status 1.',
  PRE_ERR_CTL_BAD_REQUEST: '`pre ctl`: the request line is not a command (bad JSON, too long).',
  PRE_ERR_CTL_UNKNOWN_COMMAND: '`pre ctl`: no such command.',
  PRE_ERR_CTL_BAD_ARGUMENT: '`pre ctl`: a command argument is missing or invalid.',
  PRE_ERR_CTL_NO_SUCH_WORKER: '`pre ctl`: no worker has that pid.',
  PRE_ERR_CTL_INTERNAL: '`pre ctl`: the command failed inside the arbiter.',
} as const;

/** Stable error codes: match on `err.code`, never on the message. */
export type PreErrorCode = keyof typeof ERROR_CODES;

/** The base of every error pre throws on purpose (as undici's `UndiciError`): a stable `code` per kind. */
export class PreError extends Error {
  readonly code: PreErrorCode;

  constructor(code: PreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PreError';
    this.code = code;
  }
}

export function isPreError(err: unknown): err is PreError {
  return err instanceof PreError;
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
