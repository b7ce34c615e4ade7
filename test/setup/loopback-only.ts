/**
 * Loaded into every test worker: sockets may open to loopback (the local fake) and nowhere else, so
 * no test can reach DashScope or any other real host even by mistake (a default base URL, say).
 */
import net from 'node:net';

const LOOPBACK = /^(localhost|127(?:\.\d+){3}|::1|\[::1\]|::ffff:127(?:\.\d+){3})$/i;

export class BlockedHostError extends Error {
  readonly code = 'ERR_TEST_NETWORK_BLOCKED';
}

const original = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const first = args[0];
  const options = (Array.isArray(first) ? first[0] : first) as
    | { host?: string; path?: string; port?: number }
    | number
    | string
    | undefined;
  let host: string | undefined;
  if (typeof options === 'object' && options !== null) {
    host = options.path ? 'localhost' : (options.host ?? 'localhost');
  } else if (typeof options === 'number') {
    host = typeof args[1] === 'string' ? (args[1] as string) : 'localhost';
  } else {
    host = 'localhost'; // a Unix socket path
  }
  if (!LOOPBACK.test(host)) {
    throw new BlockedHostError(`tests may not connect to ${host}: only loopback (the local fake) is allowed`);
  }
  return (original as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
