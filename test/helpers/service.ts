import type { FileAccess } from '../../src/audio/access.js';
import type { Config } from '../../src/config/config.js';
import { dashscopeHttp } from '../../src/dashscope/http.js';
import { OutputDirs } from '../../src/store/paths.js';
import { TaskStore } from '../../src/store/tasks.js';
import { TranscriptStore } from '../../src/store/transcripts.js';
import { TranscriptionService } from '../../src/transcription/service.js';
import { captureLogger } from './env.js';

/** An in-process service with fast backoff, for tests that steer the fake step by step. */
export function makeService(config: Config, opts: { access?: FileAccess } = {}) {
  const logger = captureLogger();
  const dirs = new OutputDirs(config.outputDir, config.env, config.home, logger);
  const http = dashscopeHttp(config, logger, { backoffBaseMs: 5, backoffMaxMs: 20 });
  const tasks = new TaskStore(dirs);
  const transcripts = new TranscriptStore(dirs);
  const service = new TranscriptionService({
    config,
    logger,
    dirs,
    tasks,
    transcripts,
    http,
    access: opts.access,
  });
  return { service, logger, tasks, transcripts, dirs };
}
