import type { Config } from '../../config/config.js';
import type { TranscriptionService } from '../../transcription/service.js';
import type { Logger } from '../../util/log.js';

/** What every tool may use; tools never reach DashScope except through the service. */
export interface ToolDeps {
  config: Config;
  logger: Logger;
  service: TranscriptionService;
}
