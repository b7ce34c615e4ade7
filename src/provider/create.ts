/** Builds the provider with its stores, for the MCP server and the command line alike. */
import type { FileAccess } from '../audio/access.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { OutputDirs } from '../output/paths.js';
import { TaskStore } from '../output/task-store.js';
import { TranscriptStore } from '../output/transcripts.js';
import type { HttpClient } from './http.js';
import { AsrProvider } from './index.js';

export interface ProviderBundle {
  provider: AsrProvider;
  transcripts: TranscriptStore;
  dirs: OutputDirs;
}

export function createProvider(
  config: Config,
  opts: { logger: Logger; http?: HttpClient; access: FileAccess },
): ProviderBundle {
  const dirs = new OutputDirs(config.outputDir, config.env, config.home, opts.logger);
  const transcripts = new TranscriptStore(dirs);
  const provider = new AsrProvider({
    config,
    logger: opts.logger,
    dirs,
    tasks: new TaskStore(dirs),
    transcripts,
    http: opts.http,
    access: opts.access,
  });
  return { provider, transcripts, dirs };
}
