/** Finds the `pre` CLI: `@pre/core` as installed in the project the kit runs from, else the kit's own. */
import { createRequire } from 'node:module';
import path from 'node:path';

export function findPreBinary(cwd: string): string {
  for (const base of [path.join(cwd, 'package.json'), import.meta.url]) {
    try {
      const manifest = createRequire(base).resolve('@pre/core/package.json');
      return path.join(path.dirname(manifest), 'bin', 'pre.js');
    } catch {
      // not installed there: try the next place
    }
  }
  throw new Error(`Cannot find @pre/core (from ${cwd}): install it in the project you run pre-conformance from.`);
}
