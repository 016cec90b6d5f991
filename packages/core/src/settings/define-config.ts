import type { Settings, SettingName } from './registry.js';

type ListSetting = 'bind' | 'raw_env';
type CliOnly = 'config' | 'print_config' | 'check_config';

/** What a config file may set: every setting but the command-line-only ones; lists also accept one string. */
export type PreConfig = {
  [K in Exclude<SettingName, CliOnly>]?: K extends ListSetting ? Settings[K] | string : Settings[K];
};

/** Types a config file's default export: `export default defineConfig({ workers: 4, ... })`. */
export function defineConfig(config: PreConfig): PreConfig {
  return config;
}
