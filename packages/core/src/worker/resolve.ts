import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolveCoreFromAnywhere } from '../app/core-alias.js';
import { resolveModuleFile } from '../app/resolve-module.js';
import { PreError, errorMessage } from '../errors.js';
import { docsUrl } from '../settings/docs-url.js';
import { closestName } from '../settings/did-you-mean.js';
import { capabilitiesOf, refuseUnsupported, type Refusal, type WorkerCapabilities } from './capabilities.js';
import { WORKER_BRAND, Worker, type WorkerClass } from './worker.js';

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
  /** One of async, sync, threads, uws. */
  readonly builtin: boolean;
  /** What the class declares, over the defaults. */
  readonly capabilities: WorkerCapabilities;
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
  const which = exportName ? `export '${exportName}'` : 'default export';
  if (typeof candidate === 'function' && !extendsWorker(candidate)) {
    // Without this check every worker would die with a TypeError and the arbiter would respawn it.
    const className = candidate.name || 'the class';
    throw new PreError('PRE_ERR_WORKER_CLASS', `worker class '${name}': the ${which} of ${file} (${className}) does not extend Worker from @pre/core. Declare it as \`class ${candidate.name || 'MyWorker'} extends Worker\` with \`import { Worker } from '@pre/core'\` (see ${docsUrl('writing-a-worker.md')}).`);
  }
  if (!isWorkerClass(candidate)) {
    throw new PreError('PRE_ERR_WORKER_CLASS', `worker class '${name}': the ${which} of ${file} is not a worker class (a class extending Worker from @pre/core, with run() and stop()).`);
  }
  return { name, file, WorkerClass: candidate, builtin: builtin !== undefined, capabilities: capabilitiesOf(candidate) };
}

/** The capabilities of each built-in class that is installed (to name the alternatives in a refusal). */
export async function builtinCapabilities(cwd: string): Promise<Record<string, WorkerCapabilities>> {
  const result: Record<string, WorkerCapabilities> = {};
  for (const name of Object.keys(BUILTIN_WORKER_CLASSES)) {
    try {
      result[name] = (await resolveWorkerClass(name, cwd)).capabilities;
    } catch {
      // not installed: not an alternative
    }
  }
  return result;
}

/** Throws PRE_ERR_UNSUPPORTED_SETTING with every refusal and the built-in classes that would do; returns when there is none. */
export async function refuseUnsupportedBy(resolved: ResolvedWorkerClass, refusals: readonly Refusal[], cwd: string): Promise<void> {
  if (refusals.length === 0) return;
  refuseUnsupported(refusals, {
    workerClass: resolved.name,
    builtin: resolved.builtin,
    bindsOwnListeners: resolved.WorkerClass.bindsOwnListeners === true,
    alternatives: await builtinCapabilities(cwd),
  });
}

/**
 * True for a subclass of `Worker`, also of another copy of @pre/core: some class up the chain carries
 * the registered brand. (Not the class name: bundlers rename classes.)
 */
function extendsWorker(value: Function): boolean {
  if (value.prototype instanceof Worker) return true;
  for (let parent: unknown = Object.getPrototypeOf(value); typeof parent === 'function'; parent = Object.getPrototypeOf(parent)) {
    if (Object.hasOwn(parent, WORKER_BRAND)) return true;
  }
  return false;
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
