/** Builds the service with its stores, for the MCP server and the command line alike. */
import type { FileAccess } from '../audio/access.js';
import type { Config } from '../config/config.js';
import type { HttpClient } from '../http/client.js';
import { OutputDirs } from '../store/paths.js';
import { TaskStore } from '../store/tasks.js';
import { TranscriptStore } from '../store/transcripts.js';
import type { Logger } from '../util/log.js';
import { TranscriptionService } from './service.js';

export interface ServiceBundle {
  service: TranscriptionService;
  transcripts: TranscriptStore;
  dirs: OutputDirs;
}

export function createService(
  config: Config,
  opts: { logger: Logger; http?: HttpClient; access: FileAccess },
): ServiceBundle {
  const dirs = new OutputDirs(config.outputDir, config.env, config.home, opts.logger);
  const transcripts = new TranscriptStore(dirs);
  const service = new TranscriptionService({
    config,
    logger: opts.logger,
    dirs,
    tasks: new TaskStore(dirs),
    transcripts,
    http: opts.http,
    access: opts.access,
  });
  return { service, transcripts, dirs };
}
