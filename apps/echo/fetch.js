// The echo app as a fetch handler, for fetch-only worker classes (uws): `pre apps/echo/fetch.js -k uws`.
export { default } from '@pre/conformance/echo/fetch';
