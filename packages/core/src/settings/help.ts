import { SECTION_ORDER, SETTING_LIST } from './registry.js';
import type { SettingSpec } from './types.js';
import { docsUrl } from './docs-url.js';
import { VERSION } from '../version.js';

/** Where descriptions start; flags that do not fit put their description on the next line. */
const COLUMN = 34;

/** `pre --help`, generated from the settings registry. */
export function formatHelp(): string {
  const lines = [
    `pre ${VERSION}: a pre-fork HTTP server for Node.js`,
    '',
    'Usage: pre [OPTIONS] APP',
    '',
    'APP is a file, a directory or a package, optionally with :exportName or :factory().',
    'Settings come from defaults < config file < $PRE_CMD_ARGS < the command line.',
    `Full reference: ${docsUrl('settings.md')}`,
  ];
  for (const section of SECTION_ORDER) {
    const specs = SETTING_LIST.filter((s) => s.section === section && s.cli?.length);
    if (specs.length === 0) continue;
    lines.push('', `${section}:`);
    for (const spec of specs) {
      const flags = `${spec.cli!.join(', ')}${spec.meta ? ` ${spec.meta}` : ''}`;
      const shown = helpDefault(spec);
      lines.push(...helpEntry(flags, shown === null ? spec.short : `${spec.short} [default: ${shown}]`));
    }
  }
  lines.push(
    '',
    'Other:',
    ...helpEntry('-h, --help', 'Show this help.'),
    ...helpEntry('-v, --version', 'Show the version.'),
    ...helpEntry('ctl [COMMAND...]', 'Control a running pre through its control socket (pre ctl --help).'),
  );
  return lines.join('\n');
}

/** One option: flags in the first column, the description aligned in the second. */
export function helpEntry(flags: string, text: string): string[] {
  if (flags.length < COLUMN) return [`  ${flags.padEnd(COLUMN)} ${text}`];
  return [`  ${flags}`, `  ${''.padEnd(COLUMN)} ${text}`];
}

/** The default as --help shows it; null when there is nothing worth showing (off, none, hooks). */
export function helpDefault(spec: SettingSpec<unknown>): string | null {
  if (spec.kind === 'hook' || spec.kind === 'bool') return null;
  if (spec.defaultDoc) return spec.defaultDoc.startsWith('none') ? null : spec.defaultDoc;
  const value = spec.default;
  if (value === null || value === undefined || value === '') return null;
  if (Array.isArray(value)) return value.length > 0 ? value.join(', ') : null;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
