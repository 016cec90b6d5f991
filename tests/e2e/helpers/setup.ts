import { Agent, setGlobalDispatcher } from 'undici';

// pre answers `Keep-Alive: timeout=5`, so undici (and Node's fetch, which shares this global dispatcher)
// would keep each test's connection open and idle for 3 s; a graceful stop waits DRAIN_IDLE_MS (1 s) for an
// idle keep-alive connection before closing it (http/drain.ts), so every test's stop took a second longer.
// Idle connections of the global dispatcher close after 100 ms; tests about keep-alive use their own.
setGlobalDispatcher(new Agent({ keepAliveMaxTimeout: 100 }));
