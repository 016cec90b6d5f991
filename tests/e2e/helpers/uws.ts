import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The native uWebSockets.js build exists only up to Node 20 (ABI 115); elsewhere the uws class refuses to start. */
const require = createRequire(import.meta.url);
const uwsPackageDir = path.dirname(require.resolve('@trufflesuite/uws-js-unofficial/package.json', { paths: [path.dirname(require.resolve('@pre/worker-uws/package.json'))] }));
export const nativeUwsAvailable = existsSync(path.join(uwsPackageDir, 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`));
export const NO_NATIVE_UWS = `no native uWebSockets.js build for Node ${process.versions.node} (ABI ${process.versions.modules})`;
