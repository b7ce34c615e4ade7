import type { Config } from '../../config/config.js';
import type { TranscriptionService } from '../../transcription/service.js';
import type { Logger } from '../../util/log.js';
import type { Renderings } from '../renderings.js';
import type { McpTasks } from '../tasks.js';

/** What every tool may use; tools never reach DashScope except through the service. */
export interface ToolDeps {
  config: Config;
  logger: Logger;
  service: TranscriptionService;
  /** Saved transcripts in each readable format, for paging and resources. */
  renderings: Renderings;
  /** Task-augmented calls (MCP tasks), shared by every session of the process. */
  mcpTasks?: McpTasks;
}
