/** How a setting is given on the command line, and how the docs describe it. */
export type SettingKind = 'string' | 'int' | 'number' | 'bool' | 'list' | 'hook';

export interface SettingSpec<T> {
  /** Gunicorn-style snake_case name, used in config files and PRE_CMD_ARGS docs. */
  readonly name: string;
  readonly section: string;
  /** Command-line flags, e.g. ['-w', '--workers']; none for config-file-only settings. */
  readonly cli?: readonly string[];
  /** Placeholder shown in --help, e.g. 'INT'. */
  readonly meta?: string;
  readonly kind: SettingKind;
  /** Turns a raw value (a CLI string or a config-file value) into the typed value, or throws SettingValueError. */
  readonly validate: (raw: unknown) => T;
  /** The default, or how to compute it from the environment (e.g. WEB_CONCURRENCY). */
  readonly default: T | ((env: NodeJS.ProcessEnv) => T);
  /** How the default reads in the docs when it is computed. */
  readonly defaultDoc?: string;
  /** One line for --help. */
  readonly short: string;
  /** The reference text (markdown). */
  readonly desc: string;
  /** Only meaningful on the command line (e.g. --print-config): not allowed in a config file. */
  readonly cliOnly?: boolean;
}

/** Thrown by validators; the loader adds the setting's name, flag and the offending value. */
export class SettingValueError extends Error {
  readonly expected: string;

  constructor(expected: string) {
    super(expected);
    this.expected = expected;
  }
}
