// pre app: the hello handler as a fetch app.
export default { fetch: () => new Response('Hello, World!') };
