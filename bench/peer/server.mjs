// The peer as a Node service: better-auth's handler behind plain node:http, nothing else.
import { betterAuth } from 'better-auth';
import { toNodeHandler } from 'better-auth/node';
import { createServer } from 'node:http';
import { peerOptions, peerSettings } from './auth.mjs';

const settings = peerSettings();
const options = peerOptions(settings);
const server = createServer(toNodeHandler(betterAuth(options)));
const shutdown = () =>
  server.close(() => {
    options.database.close();
    process.exit(0);
  });
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
server.listen(settings.port, '127.0.0.1');
