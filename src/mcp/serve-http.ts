/** `--http`: the arguments after it, then the Streamable HTTP server with its shutdown. */
import { isIPv6 } from 'node:net';
import type { Config } from '../config/config.js';
import { AsrError } from '../domain/errors.js';
import { loadUndici } from '../http/client.js';
import type { Logger } from '../util/log.js';
import { registerSecret } from '../util/secrets.js';
import { VERSION } from '../util/version.js';
import { onShutdown, warmUpLater } from './shutdown.js';
import { DEFAULT_HTTP_PORT, startHttpServer } from './transports/http.js';

/** `--port N` and `--host H` (a name, an IPv4 address, or an IPv6 one with or without brackets) after `--http`; a string is a usage error. */
export function parseHttpArgs(args: string[]): { port: number; host: string } | string {
  let port = DEFAULT_HTTP_PORT;
  let host = '127.0.0.1';
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    if (flag === '--port' && value !== undefined) {
      port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        return `--port must be 0-65535 (got "${value}")`;
      i++;
    } else if (flag === '--host' && value !== undefined) {
      // A bracketed IPv6 address, as in URLs ([::1]), is listened on without its brackets.
      const bracketed = /^\[(.*)\]$/.exec(value.trim());
      host = bracketed ? bracketed[1]! : value.trim();
      if (!host || (bracketed && !isIPv6(host)))
        return `--host must be a host name or an IP address (got "${value}")`;
      i++;
    } else {
      return `unknown or incomplete argument ${flag} after --http (use --port N and --host H)`;
    }
  }
  return { port, host };
}

/** Starts serving; a number is the exit code of a failed start. */
export async function serveHttp(
  config: Config,
  opts: { port: number; host: string },
  logger: Logger,
): Promise<number | undefined> {
  const env = config.env;
  let handle: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    handle = await startHttpServer(
      config,
      {
        ...opts,
        token: env.ASR_HTTP_TOKEN?.trim() || undefined,
        allowedHosts: env.ASR_HTTP_ALLOWED_HOSTS?.split(',')
          .map((h) => h.trim())
          .filter(Boolean),
        maxConnections: config.httpMaxConnections,
      },
      logger,
    );
  } catch (err) {
    logger.error(err instanceof AsrError ? err.describe() : String(err));
    return err instanceof AsrError ? 2 : 1;
  }
  if (env.ASR_HTTP_TOKEN?.trim()) registerSecret(env.ASR_HTTP_TOKEN.trim());
  onShutdown(
    logger,
    () => handle.pendingUploads(),
    () => handle.close(),
  );
  warmUpLater(loadUndici);
  logger.info(
    `qwen-asr-mcp ${VERSION} listening on ${handle.url} (Streamable HTTP, stateless; region ${config.region})`,
  );
  return undefined;
}
