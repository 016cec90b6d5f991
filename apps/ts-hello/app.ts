// The TypeScript sample: a fetch handler served by every worker class, `pre apps/ts-hello/app.ts`.
// Node 22.18+ strips the types itself; on older Node, pre uses tsx when the project has it.
import { greeting, type Greeting } from './greeting.ts';

type Route = (url: URL) => Response;

const json = (body: Greeting): Response =>
  new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });

const routes: Record<string, Route> = {
  '/': () => new Response('Hello from TypeScript!\n', { headers: { 'content-type': 'text/plain' } }),
  '/json': (url: URL) => json(greeting(url.searchParams.get('name') ?? 'world')),
};

export default {
  fetch(request: Request): Response {
    const url = new URL(request.url);
    const route: Route | undefined = routes[url.pathname];
    return route ? route(url) : new Response('Not Found\n', { status: 404 });
  },
};
