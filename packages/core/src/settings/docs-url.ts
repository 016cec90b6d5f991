/**
 * Where messages and `--help` send readers: the repository's docs at a stable URL, because the
 * published packages ship only `dist/`, their README and LICENSE (the same URL as `repository` in
 * every package.json; tests/e2e/test/packaging.test.ts checks both).
 */
export const REPOSITORY_URL = 'https://github.com/pre-http/pre';

/** The URL of a page of the repository's `docs/` folder, e.g. `docsUrl('settings.md')`. */
export function docsUrl(page: string): string {
  return `${REPOSITORY_URL}/blob/main/docs/${page}`;
}
