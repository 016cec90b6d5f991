import { SECTION_ORDER, SETTING_LIST } from './registry.js';
import type { SettingSpec } from './types.js';

function defaultText(spec: SettingSpec<unknown>): string {
  if (spec.defaultDoc) return spec.defaultDoc;
  return JSON.stringify(spec.default);
}

/** docs/settings.md, generated from the registry by `pnpm docs:settings`. */
export function renderSettingsReference(): string {
  const out = [
    '# Settings reference',
    '',
    '<!-- Generated from packages/core/src/settings/registry.ts by `pnpm docs:settings`. Do not edit by hand. -->',
    '',
    'Every setting can be given, from lowest to highest precedence: as its default, in the config file',
    '(`-c FILE`, or `./pre.config.js` / `./pre.config.mjs`), in the `PRE_CMD_ARGS` environment variable',
    '(command-line syntax), and on the command line. In a config file, use the setting\'s name:',
    '',
    '```js',
    "import { defineConfig } from '@pre/core';",
    '',
    'export default defineConfig({ bind: [\'0.0.0.0:8000\'], workers: 4, max_requests: 1000 });',
    '```',
  ];
  for (const section of SECTION_ORDER) {
    out.push('', `## ${section}`);
    for (const spec of SETTING_LIST.filter((s) => s.section === section)) {
      out.push('', `### \`${spec.name}\``, '');
      if (spec.cli?.length) out.push(`- Command line: ${spec.cli.map((f) => `\`${f}${spec.meta ? ` ${spec.meta}` : ''}\``).join(', ')}`);
      else if (spec.name === 'app') out.push('- Command line: the positional `APP` argument');
      else out.push('- Command line: none (config file only)');
      if (spec.cliOnly) out.push('- Config file: not accepted (command line only)');
      out.push(`- Default: \`${defaultText(spec)}\``, '', spec.desc);
    }
  }
  return `${out.join('\n')}\n`;
}

/** The compact table the README carries between its settings markers. */
export function renderSettingsSummary(): string {
  const rows = ['| setting | flag | default | |', '|---|---|---|---|'];
  for (const spec of SETTING_LIST) {
    if (spec.kind === 'hook') continue;
    const flag = spec.cli?.length ? `\`${spec.cli[spec.cli.length - 1]}\`` : spec.name === 'app' ? '`APP`' : '';
    rows.push(`| \`${spec.name}\` | ${flag} | \`${defaultText(spec).replace(/\|/g, '\\|')}\` | ${spec.short.replace(/\|/g, '\\|')} |`);
  }
  rows.push('', 'Server hooks (config file only): ' + SETTING_LIST.filter((s) => s.kind === 'hook').map((s) => `\`${s.name}\``).join(', ') + '.');
  return rows.join('\n');
}
