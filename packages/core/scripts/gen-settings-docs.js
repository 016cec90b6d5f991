#!/usr/bin/env node
// Regenerates docs/settings.md and the README's settings table from the settings registry.
// Run after `pnpm build`: `pnpm docs:settings`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSettingsReference, renderSettingsSummary } from '../dist/settings/docs.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
writeFileSync(`${root}docs/settings.md`, renderSettingsReference());

const readmePath = `${root}README.md`;
const readme = readFileSync(readmePath, 'utf8');
const start = '<!-- settings:start -->';
const end = '<!-- settings:end -->';
const from = readme.indexOf(start);
const to = readme.indexOf(end);
if (from < 0 || to < from) throw new Error(`README.md lacks the ${start} ... ${end} markers`);
writeFileSync(readmePath, `${readme.slice(0, from + start.length)}\n${renderSettingsSummary()}\n${readme.slice(to)}`);
console.log('wrote docs/settings.md and the README settings table');
