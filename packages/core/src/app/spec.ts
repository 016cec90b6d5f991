import path from 'node:path';

/** An APP argument: `module[:name | :factory()]`. */
export interface AppSpec {
  /** A file, a directory or a package name. */
  module: string;
  /** The export to use; null means default, then `app`, then `handler`. */
  exportName: string | null;
  /** `:name()`: call the export and serve what it returns. */
  callFactory: boolean;
}

export function parseAppSpec(spec: string): AppSpec {
  const match = /^(.*):([A-Za-z_$][\w$]*)(\(\))?$/.exec(spec);
  if (match && match[1]) {
    return { module: match[1], exportName: match[2]!, callFactory: match[3] !== undefined };
  }
  return { module: spec, exportName: null, callFactory: false };
}

/** A short name for process titles and logs: `apps/hello` → `hello`, `./app.js:handler` → `app`. */
export function appDisplayName(spec: string): string {
  const { module } = parseAppSpec(spec);
  const base = path.basename(module.replace(/[\\/]+$/, ''));
  return base.replace(/\.(c|m)?[jt]s$/, '') || module;
}
