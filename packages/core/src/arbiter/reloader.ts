import { watch, type FSWatcher } from 'chokidar';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { resolveModuleFile } from '../app/resolve-module.js';
import { parseAppSpec } from '../app/spec.js';
import type { Logger } from '../logging/error-log.js';
import type { Settings } from '../settings/registry.js';

const DEBOUNCE_MS = 200;
const RESCAN_MS = 1000;

export interface ReloaderOptions {
  /** Directories watched recursively (node_modules and dot-files excluded). */
  readonly roots: readonly string[];
  /** Single files watched too (the config file). */
  readonly files: readonly string[];
  /** `reload_extra_files`: paths or glob patterns, relative to `cwd`, re-expanded on every rescan. */
  readonly patterns: readonly string[];
  readonly cwd: string;
  readonly log: Logger;
  /** Called once per burst of changes, with the files that changed. */
  readonly onChange: (files: string[]) => void;
}

const IGNORED = /(^|[/\\])(node_modules|\.[^/\\]+)([/\\]|$)/;

/** `reload`: watches the app's files with chokidar and reports changes, debounced. */
export class Reloader {
  readonly #options: ReloaderOptions;
  readonly #watcher: FSWatcher;
  readonly #patternFiles = new Set<string>();
  readonly #changed = new Set<string>();
  #debounce: NodeJS.Timeout | undefined;
  #rescan: NodeJS.Timeout | undefined;

  constructor(options: ReloaderOptions) {
    this.#options = options;
    this.#watcher = watch([...options.roots, ...options.files], {
      ignored: (file) => IGNORED.test(path.relative(options.cwd, file)) && !options.files.includes(file),
      ignoreInitial: true,
    });
    this.#watcher.on('all', (event, file) => {
      if (event === 'add' || event === 'change' || event === 'unlink') this.#record(file);
    });
    this.#watcher.on('error', (err) => options.log.warning(`File watcher: ${(err as Error).message}`));
  }

  /** Resolves once the initial scan is done, so no change made after it is missed. */
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#watcher.once('ready', () => resolve()));
    await this.#expandPatterns(false);
    if (this.#options.patterns.length > 0) this.#scheduleRescan();
  }

  async close(): Promise<void> {
    clearTimeout(this.#debounce);
    clearTimeout(this.#rescan);
    await this.#watcher.close();
  }

  /** Patterns are expanded again on every rescan: a file created later that matches is watched and counts as a change. */
  async #expandPatterns(report: boolean): Promise<void> {
    const { patterns, cwd } = this.#options;
    if (patterns.length === 0) return;
    const files = await glob([...patterns], { cwd, absolute: true, dot: false });
    for (const file of files) {
      if (this.#patternFiles.has(file)) continue;
      this.#patternFiles.add(file);
      this.#watcher.add(file);
      if (report) this.#record(file);
    }
  }

  #scheduleRescan(): void {
    this.#rescan = setTimeout(() => {
      this.#expandPatterns(true).then(
        () => this.#scheduleRescan(),
        (err: Error) => {
          this.#options.log.warning(`reload_extra_files: ${err.message}`);
          this.#scheduleRescan();
        },
      );
    }, RESCAN_MS);
    this.#rescan.unref();
  }

  #record(file: string): void {
    this.#changed.add(path.relative(this.#options.cwd, file) || file);
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      const files = [...this.#changed];
      this.#changed.clear();
      this.#options.onChange(files);
    }, DEBOUNCE_MS);
  }
}

/**
 * `reload`: watches the app's directory (unless the app is an installed package), the config file and
 * `reload_extra_files`, and calls `reload` after each burst of changes.
 */
export async function watchApp(settings: Settings, configFile: string | null, log: Logger, reload: () => void): Promise<Reloader> {
  const { app, reload_extra_files: patterns } = settings;
  const appFile = app ? resolveModuleFile(parseAppSpec(app).module, process.cwd()) : null;
  const appDir = appFile && !appFile.includes(`${path.sep}node_modules${path.sep}`) ? path.dirname(appFile) : null;
  const reloader = new Reloader({
    roots: appDir ? [appDir] : [],
    files: configFile ? [configFile] : [],
    patterns,
    cwd: process.cwd(),
    log,
    onChange: (files) => {
      log.info(`Reloading: ${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''} changed`);
      reload();
    },
  });
  await reloader.start();
  log.info(`Watching ${appDir ?? 'no app directory'}${patterns.length ? ` and ${patterns.join(', ')}` : ''} for changes`);
  return reloader;
}
