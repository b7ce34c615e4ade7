/**
 * The default mode: one client on stdin/stdout, whose roots (when offered) confine local files.
 *
 * The transport is our own (stdio-transport.ts): a line over its limit is answered with an error that
 * names the limit and reading goes on, where the SDK's transport closed and the server exited 0 without
 * a word. Every transport error and the close are logged; when the transport closes, running jobs are
 * stopped the way a SIGTERM stops them (task records kept for asr_task_status), and the exit status
 * says how it ended: 0 when the client closed stdin, 1 when stdin or stdout failed.
 */
import type { Config } from '../config/config.js';
import { loadUndici } from '../http/client.js';
import type { Logger } from '../util/log.js';
import { VERSION } from '../util/version.js';
import { createServer } from './server.js';
import { onShutdown, warmUpLater } from './shutdown.js';
import { StdioTransport } from './stdio-transport.js';

export async function serveStdio(config: Config, logger: Logger): Promise<void> {
  const handle = createServer(config, { logger });
  const transport = new StdioTransport({
    log: (msg) => logger.warn(`stdio: ${msg}`),
    oversizeHint: 'Pass recordings by path or URL: no tool argument needs to be this large.',
  });
  const shutdown = onShutdown(
    logger,
    () => handle.service.pendingUploads(),
    () => handle.close(),
  );
  // A stream that fails (stdout's reader gone, stdin unreadable) is a failed transport, not a goodbye.
  // Listening here, before the transport does, marks the failure before the transport closes on it.
  let failure: string | undefined;
  const failed = (stream: string) => (err: NodeJS.ErrnoException) => {
    failure ??= `${stream} failed: ${err.code ?? err.message}`;
    logger.error(`stdio: ${failure}`);
  };
  process.stdin.on('error', failed('stdin'));
  process.stdout.on('error', failed('stdout'));
  transport.onerror = (err) => logger.warn(`stdio: ${err.message}`);
  transport.onclose = () => {
    if (shutdown.stopping) return; // closed by our own shutdown (a signal)
    logger.info(`stdio: transport closed (${failure ?? 'stdin closed'})`);
    void shutdown.stop(failure ? `stdio ${failure}` : 'stdin closed', failure ? 1 : 0);
  };
  await handle.server.connect(transport);
  warmUpLater(loadUndici);
  logger.info(`qwen-asr-mcp ${VERSION} ready on stdio (region ${config.region}, output ${config.outputDir})`);
}
