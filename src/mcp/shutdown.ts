/** One way to stop, for stdio and HTTP alike: say which uploads are cut short, let jobs record how they ended, exit 0. */
import type { Logger } from '../util/log.js';

export function onShutdown(
  logger: Logger,
  pendingUploads: () => string[],
  close: () => Promise<void>,
): (why: string) => Promise<void> {
  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    const uploads = pendingUploads();
    if (uploads.length > 0)
      logger.warn(`stopping with ${uploads.length} upload(s) unfinished: ${uploads.join(', ')}`);
    logger.info(`shutting down (${why})`);
    await close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return shutdown;
}

/** Load the HTTP stack once the client has its tool list, so the first call does not wait for it. */
export function warmUpLater(load: () => Promise<unknown>): void {
  setTimeout(() => void load().catch(() => {}), 1000).unref();
}
