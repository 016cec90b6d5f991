import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PreError } from '../errors.js';

function isPathLike(specifier: string): boolean {
  return specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:');
}

/**
 * Resolves a module specifier to a file, from `baseDir`: a file path, a directory (its package's
 * `exports`/`main`, else index.js), or a package name found in node_modules (ESM `import` condition).
 */
export function resolveModuleFile(specifier: string, baseDir: string): string | null {
  if (specifier.startsWith('file:')) return resolvePath(new URL(specifier).pathname);
  const candidate = path.resolve(baseDir, specifier);
  if (isPathLike(specifier) || existsSync(candidate)) return resolvePath(candidate);
  return resolvePackage(specifier, baseDir);
}

function resolvePath(file: string): string | null {
  for (const candidate of [file, `${file}.js`, `${file}.mjs`, `${file}.cjs`, `${file}.ts`, `${file}.mts`]) {
    if (!existsSync(candidate)) continue;
    return statSync(candidate).isDirectory() ? resolveDirectory(candidate) : candidate;
  }
  return null;
}

function resolveDirectory(dir: string, subpath = '.'): string | null {
  const pkgFile = path.join(dir, 'package.json');
  if (existsSync(pkgFile)) {
    let pkg: { exports?: unknown; main?: string };
    try {
      pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as typeof pkg;
    } catch (err) {
      throw new PreError('PRE_ERR_APP_LOAD', `Cannot read ${pkgFile}: ${(err as Error).message}`);
    }
    const target = pkg.exports !== undefined ? exportTarget(pkg.exports, subpath) : subpath === '.' ? pkg.main : null;
    if (target) return resolvePath(path.join(dir, target));
  }
  if (subpath !== '.') return resolvePath(path.join(dir, subpath));
  for (const index of ['index.js', 'index.mjs', 'index.cjs', 'index.ts', 'index.mts']) {
    if (existsSync(path.join(dir, index))) return path.join(dir, index);
  }
  return null;
}

const CONDITIONS = ['import', 'node', 'default'];

function exportTarget(exports: unknown, subpath: string): string | null {
  if (typeof exports === 'string') return subpath === '.' ? exports : null;
  if (exports === null || typeof exports !== 'object') return null;
  const map = exports as Record<string, unknown>;
  const keyed = Object.keys(map).some((k) => k.startsWith('.'));
  return conditionalTarget(keyed ? map[subpath] : subpath === '.' ? map : undefined);
}

function conditionalTarget(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return null;
  for (const condition of CONDITIONS) {
    const target = conditionalTarget((value as Record<string, unknown>)[condition]);
    if (target) return target;
  }
  return null;
}

function resolvePackage(specifier: string, baseDir: string): string | null {
  const parts = specifier.split('/');
  const nameLength = specifier.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, nameLength).join('/');
  const subpath = parts.length > nameLength ? `./${parts.slice(nameLength).join('/')}` : '.';
  for (let dir = baseDir; ; dir = path.dirname(dir)) {
    const pkgDir = path.join(dir, 'node_modules', name);
    if (existsSync(pkgDir)) return resolveDirectory(pkgDir, subpath);
    if (path.dirname(dir) === dir) return null;
  }
}
