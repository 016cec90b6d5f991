import { ERROR_CODES } from './errors.js';

/** The table of docs/errors.md, generated from ERROR_CODES (a test checks the page against it). */
export function errorCodesTable(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`);
  return ['| Code | Meaning |', '| --- | --- |', ...rows].join('\n');
}
