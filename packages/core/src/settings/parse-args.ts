import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PreError } from '../errors.js';
import { closestName } from './did-you-mean.js';
import { SETTING_LIST } from './registry.js';

/** Raw values by setting name, as given on one source (strings, or string lists for repeatable flags). */
export type RawSettings = Map<string, unknown>;

export interface ParsedCommandLine {
  raw: RawSettings;
  help: boolean;
  version: boolean;
}

type Options = NonNullable<ParseArgsConfig['options']>;

let cachedOptions: { options: Options; byFlag: Map<string, string> } | undefined;

/** node:util's parseArgs options, generated from the settings registry. */
function argOptions(): { options: Options; byFlag: Map<string, string> } {
  if (cachedOptions) return cachedOptions;
  const options: Options = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
  };
  const byFlag = new Map<string, string>();
  for (const spec of SETTING_LIST) {
    const longFlags = (spec.cli ?? []).filter((f) => f.startsWith('--'));
    const short = (spec.cli ?? []).find((f) => /^-[A-Za-z]$/.test(f))?.slice(1);
    longFlags.forEach((flag, i) => {
      const key = flag.slice(2);
      options[key] = {
        type: spec.kind === 'bool' ? 'boolean' : 'string',
        multiple: spec.kind === 'list',
        ...(i === 0 && short ? { short } : {}),
      };
      byFlag.set(key, spec.name);
    });
  }
  cachedOptions = { options, byFlag };
  return cachedOptions;
}

/** Parses pre's command line (or PRE_CMD_ARGS) into raw setting values. */
export function parseCommandLine(args: readonly string[], source = 'command line'): ParsedCommandLine {
  const { options, byFlag } = argOptions();
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).replace(/\. To specify a positional.*$/s, '.');
    throw new PreError('PRE_ERR_USAGE', `${message}${optionHint(err, options)} (in the ${source}; see pre --help)`);
  }
  const raw: RawSettings = new Map();
  for (const [key, value] of Object.entries(parsed.values)) {
    const name = byFlag.get(key);
    if (!name) continue;
    if (Array.isArray(value) && raw.has(name)) {
      raw.set(name, [...(raw.get(name) as unknown[]), ...value]);
    } else {
      raw.set(name, value);
    }
  }
  if (parsed.positionals.length > 1) {
    throw new PreError('PRE_ERR_USAGE', `Expected one APP argument in the ${source}, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`);
  }
  if (parsed.positionals[0] !== undefined) raw.set('app', parsed.positionals[0]);
  return { raw, help: parsed.values.help === true, version: parsed.values.version === true };
}

/** ` Did you mean '--workers'?` for an unknown long option one or two edits from a known one. */
function optionHint(err: unknown, options: Options): string {
  const unknown = /Unknown option '--([^'=]+)/.exec(err instanceof Error ? err.message : '')?.[1];
  const hint = unknown ? closestName(unknown, Object.keys(options)) : null;
  return hint ? ` Did you mean '--${hint}'?` : '';
}

/** Splits PRE_CMD_ARGS like a shell would for words and quotes (no expansion). */
export function splitCommandString(input: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:\\.|[^"\\])*)"|'([^']*)'|((?:\\.|[^\s"'\\])+)|(\s+)/g;
  let current: string | null = null;
  for (const match of input.matchAll(pattern)) {
    if (match[4] !== undefined) {
      if (current !== null) words.push(current);
      current = null;
      continue;
    }
    const piece = match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2] ?? (match[3] ?? '').replace(/\\(.)/g, '$1');
    current = (current ?? '') + piece;
  }
  if (current !== null) words.push(current);
  return words;
}
