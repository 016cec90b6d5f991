import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSettingsReference, renderSettingsSummary } from '../src/settings/docs.js';

const root = new URL('../../../', import.meta.url);

describe('generated settings docs', () => {
  it('docs/settings.md matches the registry (run `pnpm build && pnpm docs:settings` to refresh)', () => {
    expect(readFileSync(new URL('docs/settings.md', root), 'utf8')).toBe(renderSettingsReference());
  });

  it("the README's settings table matches the registry", () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const table = readme.split('<!-- settings:start -->\n')[1]?.split('\n<!-- settings:end -->')[0];
    expect(table).toBe(renderSettingsSummary());
  });
});
