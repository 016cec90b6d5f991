import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cannotRunTypeScript, findTsx, importTsx, isTypeScriptFile, nodeStripsTypes, type TsxApi } from '../app/typescript.js';
import { PreError } from '../errors.js';
import { describeConfigError } from './config-error.js';

export const DEFAULT_CONFIG_FILES = ['pre.config.js', 'pre.config.mjs', 'pre.config.ts', 'pre.config.mts'] as const;

/** The config file to load: the one named, or a default one in `cwd` when present. */
export function findConfigFile(named: string | null, cwd: string): string | null {
  if (named) {
    const resolved = path.resolve(cwd, named);
    if (!existsSync(resolved)) {
      throw new PreError('PRE_ERR_CONFIG_FILE', `Config file not found: ${resolved} (from --config ${named})`);
    }
    return resolved;
  }
  for (const name of DEFAULT_CONFIG_FILES) {
    const candidate = path.join(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * Imports a config file and returns its settings object. `fresh` bypasses the module cache,
 * so HUP sees an edited file.
 */
export async function importConfigFile(file: string, fresh = false): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file);
  if (fresh) url.search = `?t=${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const typescript = isTypeScriptFile(file) && !nodeStripsTypes();
  const tsImport = typescript ? await findTsImport(file) : null;
  if (typescript && !tsImport) {
    throw new PreError('PRE_ERR_CONFIG_FILE', cannotRunTypeScript('config file', file));
  }
  let mod: Record<string, unknown>;
  try {
    // tsx imports each call in a namespace of its own, so a HUP sees an edited file there too.
    mod = (tsImport ? await tsImport(url.href, import.meta.url) : await import(url.href)) as Record<string, unknown>;
  } catch (err) {
    throw new PreError('PRE_ERR_CONFIG_FILE', describeConfigError(file, err), { cause: err });
  }
  const config = mod.default;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new PreError(
      'PRE_ERR_CONFIG_FILE',
      `Config file ${file} must export a settings object as its default export: export default defineConfig({ ... })`,
    );
  }
  return config as Record<string, unknown>;
}

/** tsx's `tsImport`, from the project of the config file, else from the current directory; null when neither has tsx. */
async function findTsImport(file: string): Promise<TsxApi['tsImport'] | null> {
  const api = findTsx(file, process.cwd());
  if (!api) return null;
  const { tsImport } = await importTsx(api);
  return typeof tsImport === 'function' ? tsImport : null;
}
