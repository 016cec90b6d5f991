import type { Settings, SettingName } from './registry.js';

type ListSetting = 'bind' | 'raw_env' | 'http_protocols';
type CliOnly = 'config' | 'print_config' | 'check_config';

/** The worker classes that ship with pre (see BUILTIN_WORKER_CLASSES). */
export type BuiltinWorkerClass = 'async' | 'sync' | 'threads' | 'uws';

/**
 * `worker_class` in a config file: a built-in name, or a module specifier — a path, a scoped or
 * hyphenated package, or anything with `:ExportName`. A bare word must be a built-in, so a typo such
 * as `'thread'` is a type error (a one-word package is written `'name:default'`).
 */
export type WorkerClassName =
  | BuiltinWorkerClass
  | `${string}/${string}`
  | `${string}.${string}`
  | `${string}-${string}`
  | `${string}:${string}`;

type ConfigValue<K extends SettingName> = K extends 'worker_class'
  ? WorkerClassName
  : K extends ListSetting
    ? Settings[K] | string
    : Settings[K];

/** What a config file may set: every setting but the command-line-only ones; lists also accept one string. */
export type PreConfig = {
  [K in Exclude<SettingName, CliOnly>]?: ConfigValue<K>;
};

/** Types a config file's default export: `export default defineConfig({ workers: 4, ... })`. */
export function defineConfig(config: PreConfig): PreConfig {
  return config;
}
