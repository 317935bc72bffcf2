// System 1, the ceiling for Node: a raw `ws` server (raw-ws-server.ts) that sends each published change
// to its user's sockets, pre-serialised. Nothing is stored.
import { serveRawWs } from './raw-ws-server.js';

serveRawWs('raw-ws');
