// The programmatic API of @pre/conformance: the CLI's entry point and the echo apps.
export { main } from './cli.js';
export { default as echo, echoView } from './echo/node.js';
export { echoFetch } from './echo/fetch.js';
export type { EchoView } from './echo/view.js';
export { GROUPS } from './groups.js';
