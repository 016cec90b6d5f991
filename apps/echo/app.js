// The echo app: answers every request with 200 and the request as received, as one UTF-8 JSON object
// (see README.md). The implementation lives in @pre/conformance, which runs it under every worker class.
export { default } from '@pre/conformance/echo';
