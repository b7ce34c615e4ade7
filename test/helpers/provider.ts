import type { FileAccess } from '../../src/audio/access.js';
import type { Config } from '../../src/config.js';
import { OutputDirs } from '../../src/output/paths.js';
import { TaskStore } from '../../src/output/task-store.js';
import { TranscriptStore } from '../../src/output/transcripts.js';
import { HttpClient } from '../../src/provider/http.js';
import { AsrProvider } from '../../src/provider/index.js';
import { captureLogger } from './env.js';

/** An in-process provider with fast backoff, for tests that steer the fake step by step. */
export function makeProvider(config: Config, opts: { access?: FileAccess } = {}) {
  const logger = captureLogger();
  const dirs = new OutputDirs(config.outputDir, config.env, config.home, logger);
  const http = new HttpClient({
    timeoutMs: config.httpTimeoutMs,
    maxRetries: config.maxRetries,
    logger,
    region: config.region,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
  });
  const tasks = new TaskStore(dirs);
  const transcripts = new TranscriptStore(dirs);
  const provider = new AsrProvider({ config, logger, dirs, tasks, transcripts, http, access: opts.access });
  return { provider, logger, tasks, transcripts, dirs };
}
