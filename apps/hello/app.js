// The sample app: a plain node:http request listener, served by `pre apps/hello`.
const slowMs = (url) => Number(url.searchParams.get('ms') ?? 1000);

export default function hello(req, res) {
  const url = new URL(req.url, 'http://localhost');
  switch (url.pathname) {
    case '/':
      res.setHeader('content-type', 'text/plain');
      res.end('Hello, World!\n');
      return;
    case '/pid':
      res.setHeader('content-type', 'text/plain');
      res.end(String(process.pid));
      return;
    case '/json':
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ hello: 'world', pid: process.pid }));
      return;
    case '/slow':
      setTimeout(() => res.end(`slept ${slowMs(url)} ms\n`), slowMs(url));
      return;
    case '/busy': {
      // Blocks the event loop: the arbiter's heartbeat timeout replaces the worker.
      const until = Date.now() + slowMs(url);
      while (Date.now() < until);
      res.end('done\n');
      return;
    }
    case '/error':
      throw new Error('This route fails on purpose');
    case '/reject':
      return Promise.reject(new Error('This route rejects on purpose'));
    default:
      res.statusCode = 404;
      res.end('Not Found\n');
  }
}
