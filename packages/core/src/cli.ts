import { findAppModule, loadApp } from './app/load.js';
import { appDisplayName } from './app/spec.js';
import { Arbiter } from './arbiter/arbiter.js';
import { daemonize, isDaemonChild, reportDaemonError, reportDaemonReady } from './arbiter/daemon.js';
import { reportNewMasterFailure } from './arbiter/upgrade.js';
import { ExitCode, PreError, type PreErrorCode } from './errors.js';
import { formatSettings, resolveSettings } from './settings/load.js';
import { VERSION } from './version.js';
import { appRefusals, settingRefusals } from './worker/capabilities.js';
import { refuseUnsupportedBy, resolveWorkerClass } from './worker/resolve.js';

const EXIT_BY_CODE: Partial<Record<PreErrorCode, number>> = {
  PRE_ERR_USAGE: ExitCode.USAGE,
  PRE_ERR_APP_LOAD: ExitCode.APP_LOAD_ERROR,
  PRE_ERR_APP_SHAPE: ExitCode.APP_LOAD_ERROR,
  PRE_ERR_WORKER_CLASS: ExitCode.WORKER_BOOT_ERROR,
  PRE_ERR_UNSUPPORTED_SETTING: ExitCode.WORKER_BOOT_ERROR,
};

/** `pre [OPTIONS] APP`. */
export async function main(argv: readonly string[]): Promise<void> {
  process.exitCode = await runCli(argv);
  // Exit explicitly: an app or hook may have left handles open in the arbiter.
  process.exit();
}

async function runCli(argv: readonly string[]): Promise<number> {
  // Loaded only when used: a master never runs the control client nor prints the help.
  if (argv[0] === 'ctl') return (await import('./control/cli.js')).runCtl(argv.slice(1)); // `pre ctl ...`: the control-socket client
  try {
    const sources = { argv, env: process.env, cwd: process.cwd() };
    const { settings, configFile, help, version } = await resolveSettings(sources);
    if (help) return print((await import('./settings/help.js')).formatHelp());
    if (version) return print(`pre ${VERSION}`);
    if (settings.print_config) return print(formatSettings(settings));
    if (!settings.app) {
      throw new PreError('PRE_ERR_USAGE', 'No APP given. Usage: pre [OPTIONS] APP — for example: pre app.js:handler --workers 4 (see pre --help)');
    }
    if (settings.daemon && !isDaemonChild(process.env)) return await daemonize(argv, process.cwd());
    if (settings.chdir) process.chdir(settings.chdir);
    findAppModule(settings.app, process.cwd()); // a missing app fails here, before binding and forking
    const workerClass = await resolveWorkerClass(settings.worker_class, process.cwd());
    if (settings.check_config) {
      const app = await loadApp(settings.app, process.cwd(), settings.app_shape);
      const { capabilities } = workerClass;
      await refuseUnsupportedBy(workerClass, [...settingRefusals(capabilities, settings), ...appRefusals(capabilities, app)], process.cwd());
      return print(`Config OK: app ${settings.app}, worker class ${settings.worker_class}`);
    }
    const arbiter = new Arbiter({
      sources,
      settings,
      configFile,
      procName: settings.proc_name ?? appDisplayName(settings.app),
      workerClass,
      daemonized: settings.daemon,
    });
    await arbiter.start();
    if (settings.daemon) reportDaemonReady();
    return await arbiter.run();
  } catch (err) {
    if (isDaemonChild(process.env)) reportDaemonError(err instanceof Error ? err.message : String(err));
    reportNewMasterFailure(err instanceof Error ? err.message : String(err));
    if (err instanceof PreError) {
      process.stderr.write(`Error: ${err.message}\n`);
      return EXIT_BY_CODE[err.code] ?? ExitCode.ERROR;
    }
    process.stderr.write(`Error: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
    return ExitCode.ERROR;
  }
}

function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return ExitCode.OK;
}
