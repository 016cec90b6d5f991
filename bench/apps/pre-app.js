// What `pre` serves in the bench and the chaos suite: the shared routes as a node request listener, the same
// listener a bare node:http process serves (peers/node-http.js), so the two compare like for like.
export { default } from './routes.js';
