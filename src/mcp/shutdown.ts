/**
 * One way to stop, for stdio and HTTP alike: say which uploads are cut short, let jobs record how they
 * ended, then exit (0 for a signal or a client that said goodbye; the caller's code when something failed).
 */
import type { Logger } from '../util/log.js';

export interface Shutdown {
  /** Stops once (later calls do nothing), then exits with `exitCode`. */
  stop(why: string, exitCode?: number): Promise<void>;
  /** True once stopping has begun, whatever began it. */
  readonly stopping: boolean;
}

export function onShutdown(
  logger: Logger,
  pendingUploads: () => string[],
  close: () => Promise<void>,
): Shutdown {
  let closing = false;
  const stop = async (why: string, exitCode = 0) => {
    if (closing) return;
    closing = true;
    const uploads = pendingUploads();
    if (uploads.length > 0)
      logger.warn(`stopping with ${uploads.length} upload(s) unfinished: ${uploads.join(', ')}`);
    logger.info(`shutting down (${why})`);
    await close().catch(() => {});
    process.exit(exitCode);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return {
    stop,
    get stopping() {
      return closing;
    },
  };
}

/** Load the HTTP stack once the client has its tool list, so the first call does not wait for it. */
export function warmUpLater(load: () => Promise<unknown>): void {
  setTimeout(() => void load().catch(() => {}), 1000).unref();
}
