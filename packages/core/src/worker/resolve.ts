import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolveCoreFromAnywhere } from '../app/core-alias.js';
import { resolveModuleFile } from '../app/resolve-module.js';
import { PreError, errorMessage } from '../errors.js';
import { closestName } from '../settings/did-you-mean.js';
import type { WorkerClass } from './worker.js';

/** The built-in worker classes and the package each lives in. */
export const BUILTIN_WORKER_CLASSES: Readonly<Record<string, string>> = {
  async: '@pre/worker-async',
  sync: '@pre/worker-sync',
  threads: '@pre/worker-threads',
  uws: '@pre/worker-uws',
};

export interface ResolvedWorkerClass {
  readonly name: string;
  readonly file: string;
  readonly WorkerClass: WorkerClass;
}

/**
 * Resolves `worker_class`: a built-in name, or `module[:ExportName]` (a package or a path, relative to `cwd`).
 * Packages are looked up from `cwd`, then from where @pre/core itself is installed.
 */
export async function resolveWorkerClass(name: string, cwd: string): Promise<ResolvedWorkerClass> {
  const builtin = BUILTIN_WORKER_CLASSES[name];
  const match = builtin ? null : /^(.*?)(?::([A-Za-z_$][\w$]*))?$/.exec(name);
  const specifier = builtin ?? match?.[1] ?? name;
  const exportName = match?.[2] ?? null;

  const coreDir = path.dirname(fileURLToPath(import.meta.url));
  const file = resolveModuleFile(specifier, cwd) ?? (specifier.startsWith('.') ? null : resolveModuleFile(specifier, coreDir));
  if (!file) {
    const message = builtin
      ? `worker class '${name}' needs ${builtin}: pnpm add ${builtin} (or npm install ${builtin})`
      : `worker class '${name}': cannot find the module '${specifier}' from ${cwd}.${builtinHint(name)}`;
    throw new PreError('PRE_ERR_WORKER_CLASS', message);
  }
  let mod: Record<string, unknown>;
  try {
    if (!builtin) resolveCoreFromAnywhere(); // a worker class outside the project (by path, or linked) imports this @pre/core
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new PreError('PRE_ERR_WORKER_CLASS', `worker class '${name}': cannot import ${file}: ${errorMessage(err)}`, { cause: err });
  }
  const candidate = exportName ? mod[exportName] : mod.default ?? mod.Worker;
  if (!isWorkerClass(candidate)) {
    const which = exportName ? `export '${exportName}'` : 'default export';
    throw new PreError('PRE_ERR_WORKER_CLASS', `worker class '${name}': the ${which} of ${file} is not a worker class (a class extending Worker from @pre/core, with run() and stop()).`);
  }
  return { name, file, WorkerClass: candidate };
}

/** ` Did you mean 'threads'?` for a typo of a built-in class name. */
function builtinHint(name: string): string {
  const hint = closestName(name, Object.keys(BUILTIN_WORKER_CLASSES));
  return hint ? ` Did you mean '${hint}'? (built-in classes: ${Object.keys(BUILTIN_WORKER_CLASSES).join(', ')})` : '';
}

function isWorkerClass(value: unknown): value is WorkerClass {
  if (typeof value !== 'function') return false;
  const proto = (value as { prototype?: Record<string, unknown> }).prototype;
  return typeof proto?.run === 'function' && typeof proto?.stop === 'function';
}
