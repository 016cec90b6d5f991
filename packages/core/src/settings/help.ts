import { SECTION_ORDER, SETTING_LIST } from './registry.js';
import { VERSION } from '../version.js';

/** `pre --help`, generated from the settings registry. */
export function formatHelp(): string {
  const lines = [
    `pre ${VERSION}: a pre-fork HTTP server for Node.js`,
    '',
    'Usage: pre [OPTIONS] APP',
    '',
    'APP is a file, a directory or a package, optionally with :exportName or :factory().',
    'Settings come from defaults < config file < $PRE_CMD_ARGS < the command line.',
    'Full reference: docs/settings.md',
  ];
  for (const section of SECTION_ORDER) {
    const specs = SETTING_LIST.filter((s) => s.section === section && s.cli?.length);
    if (specs.length === 0) continue;
    lines.push('', `${section}:`);
    for (const spec of specs) {
      const flags = `${spec.cli!.join(', ')}${spec.meta ? ` ${spec.meta}` : ''}`;
      lines.push(`  ${flags.padEnd(34)} ${spec.short}`);
    }
  }
  lines.push('', 'Other:', `  ${'-h, --help'.padEnd(34)} Show this help.`, `  ${'-v, --version'.padEnd(34)} Show the version.`,
    `  ${'ctl [COMMAND...]'.padEnd(34)} Control a running pre through its control socket (pre ctl --help).`);
  return lines.join('\n');
}
