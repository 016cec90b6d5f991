import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../errors.js';

/**
 * Why a config file failed to import, said so the user can fix it: where a syntax error is (Node's
 * ESM loader gives no position; `node --check` does, and tsx's errors already carry one), and what
 * to do when ESM syntax lands in a CommonJS package (npm init writes `"type": "commonjs"`).
 */
export function describeConfigError(file: string, err: unknown): string {
  const base = `Cannot load config file ${file}: ${errorMessage(err)}`;
  if (!(err instanceof SyntaxError) || /\.[mc]?ts$/.test(file)) return base;
  if (/\.js$/.test(file) && /Unexpected token 'export'|Cannot use import statement outside a module/.test(err.message)) {
    const pkg = nearestPackageJson(file);
    const type = packageType(pkg);
    if (type !== 'module') {
      const where = !pkg ? 'no package.json sets "type": "module"' : type === 'commonjs' ? `${pkg} sets "type": "commonjs"` : `${pkg} does not set "type": "module"`;
      return `${base}. The file uses ES module syntax (export/import), but ${where}, so Node loads .js files as CommonJS. ` +
        `Rename it to ${path.basename(file, '.js')}.mjs, or set "type": "module" in package.json.`;
    }
  }
  const position = syntaxErrorPosition(file);
  return position ? `${base} at line ${position.line}, column ${position.column}\n${position.excerpt}` : base;
}

interface SyntaxPosition {
  line: number;
  column: number;
  /** The offending line and a caret under the error, as Node prints them. */
  excerpt: string;
}

/** Asks `node --check` where the syntax error is: `FILE:LINE`, the source line, then a caret line. */
export function syntaxErrorPosition(file: string): SyntaxPosition | null {
  const checked = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  const lines = (checked.stderr ?? '').split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${file}:`));
  const line = at >= 0 ? Number(lines[at]!.slice(file.length + 1)) : NaN;
  const caret = at >= 0 ? lines[at + 2]?.indexOf('^') ?? -1 : -1;
  if (!Number.isInteger(line) || caret < 0) return null;
  return { line, column: caret + 1, excerpt: `  ${lines[at + 1]}\n  ${lines[at + 2]}` };
}

function nearestPackageJson(file: string): string | null {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

function packageType(pkg: string | null): unknown {
  if (!pkg) return undefined;
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: unknown }).type;
  } catch {
    return undefined;
  }
}
