/** The default mode: one client on stdin/stdout, whose roots (when offered) confine local files. */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Config } from '../config/config.js';
import { loadUndici } from '../http/client.js';
import type { Logger } from '../util/log.js';
import { VERSION } from '../util/version.js';
import { createServer } from './server.js';
import { onShutdown, warmUpLater } from './shutdown.js';

export async function serveStdio(config: Config, logger: Logger): Promise<void> {
  const handle = createServer(config, { logger });
  const transport = new StdioServerTransport();
  const shutdown = onShutdown(
    logger,
    () => handle.service.pendingUploads(),
    () => handle.close(),
  );
  process.stdin.on('end', () => void shutdown('stdin closed'));
  process.stdin.on('close', () => void shutdown('stdin closed'));
  await handle.server.connect(transport);
  warmUpLater(loadUndici);
  logger.info(`qwen-asr-mcp ${VERSION} ready on stdio (region ${config.region}, output ${config.outputDir})`);
}
