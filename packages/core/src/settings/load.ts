import { PreError } from '../errors.js';
import { closestName } from './did-you-mean.js';
import { docsUrl } from './docs-url.js';
import { findConfigFile, importConfigFile } from './config-file.js';
import { parseCommandLine, splitCommandString, type RawSettings } from './parse-args.js';
import { SETTINGS, SETTING_LIST, type SettingName, type Settings } from './registry.js';
import { SettingValueError, type SettingSpec } from './types.js';

export interface SettingsSources {
  /** The command line, without `node` and the script. */
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Re-import the config file even if it was imported before (HUP). */
  freshConfig?: boolean;
}

export interface ResolvedSettings {
  settings: Settings;
  /** The config file that was loaded, if any. */
  configFile: string | null;
  help: boolean;
  version: boolean;
}

/**
 * Effective settings from, lowest to highest: defaults < config file < PRE_CMD_ARGS < command line.
 * Every value is validated; a bad one throws PRE_ERR_BAD_SETTING naming the setting, value, source and what is allowed.
 */
export async function resolveSettings(sources: SettingsSources): Promise<ResolvedSettings> {
  const cli = parseCommandLine(sources.argv);
  const envArgs = sources.env.PRE_CMD_ARGS
    ? parseCommandLine(splitCommandString(sources.env.PRE_CMD_ARGS), 'PRE_CMD_ARGS environment variable').raw
    : new Map<string, unknown>();

  const named = (cli.raw.get('config') ?? envArgs.get('config') ?? null) as string | null;
  const configFile = findConfigFile(named, sources.cwd);
  const fileValues = configFile ? await importConfigFile(configFile, sources.freshConfig) : {};
  const fromFile = checkConfigFileKeys(fileValues, configFile ?? '');

  const values: Record<string, unknown> = {};
  for (const spec of SETTING_LIST) {
    values[spec.name] = defaultValue(spec, sources.env);
    applySource(values, spec, fromFile, `config file ${configFile}`);
    applySource(values, spec, envArgs, 'PRE_CMD_ARGS environment variable');
    applySource(values, spec, cli.raw, 'command line');
  }
  return { settings: Object.freeze(values) as Settings, configFile, help: cli.help, version: cli.version };
}

function applySource(values: Record<string, unknown>, spec: SettingSpec<unknown>, raw: RawSettings, source: string): void {
  if (raw.has(spec.name)) values[spec.name] = validateSetting(spec, raw.get(spec.name), source);
}

export function defaultValue(spec: SettingSpec<unknown>, env: NodeJS.ProcessEnv): unknown {
  if (typeof spec.default === 'function' && spec.kind !== 'hook') {
    try {
      return (spec.default as (env: NodeJS.ProcessEnv) => unknown)(env);
    } catch (err) {
      if (err instanceof SettingValueError) {
        throw new PreError('PRE_ERR_BAD_SETTING', `Invalid default for '${spec.name}' from the environment: ${err.expected} expected (${spec.defaultDoc ?? ''})`);
      }
      throw err;
    }
  }
  return spec.default;
}

export function validateSetting(spec: SettingSpec<unknown>, raw: unknown, source: string): unknown {
  try {
    return spec.validate(raw);
  } catch (err) {
    if (!(err instanceof SettingValueError)) throw err;
    const flags = spec.cli?.length ? ` (${spec.cli.join('/')})` : '';
    throw new PreError(
      'PRE_ERR_BAD_SETTING',
      `Invalid value for setting '${spec.name}'${flags} from the ${source}: ${describe(raw)}. Expected ${err.expected}.`,
    );
  }
}

function describe(raw: unknown): string {
  if (typeof raw === 'function') return 'a function';
  try {
    return JSON.stringify(raw) ?? String(raw);
  } catch {
    return String(raw);
  }
}

/** Config-file keys must be known settings, and not command-line-only ones. */
function checkConfigFileKeys(values: Record<string, unknown>, file: string): RawSettings {
  const raw: RawSettings = new Map();
  for (const [key, value] of Object.entries(values)) {
    const spec = (SETTINGS as Record<string, SettingSpec<unknown>>)[key];
    if (!spec) {
      const hint = closestSettingName(key);
      throw new PreError(
        'PRE_ERR_UNKNOWN_SETTING',
        `Unknown setting '${key}' in config file ${file}.${hint ? ` Did you mean '${hint}'?` : ''} See ${docsUrl('settings.md')}`,
      );
    }
    if (spec.cliOnly) {
      throw new PreError('PRE_ERR_UNKNOWN_SETTING', `Setting '${key}' is only accepted on the command line, not in config file ${file}.`);
    }
    if (value !== undefined) raw.set(key, value);
  }
  return raw;
}

function closestSettingName(key: string): string | null {
  const normalized = key.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/-/g, '_').toLowerCase();
  return closestName(normalized, Object.keys(SETTINGS));
}

/** The settings that can cross a process boundary (hooks are re-imported from the config file instead). */
export function serializableSettings(settings: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of SETTING_LIST) {
    if (spec.kind !== 'hook') out[spec.name] = settings[spec.name as SettingName];
  }
  return out;
}

/** `print_config` output: one `name = value` line per setting, like Gunicorn's. */
export function formatSettings(settings: Settings): string {
  const width = Math.max(...SETTING_LIST.map((s) => s.name.length));
  return SETTING_LIST.map((spec) => {
    const value = settings[spec.name as SettingName];
    const shown = typeof value === 'function' ? `[function ${(value as { name?: string }).name || 'anonymous'}]` : JSON.stringify(value);
    return `${spec.name.padEnd(width)} = ${shown}`;
  }).join('\n');
}
