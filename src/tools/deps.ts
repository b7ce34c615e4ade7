import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { AsrProvider } from '../provider/index.js';

/** What every tool may use; tools never reach DashScope except through the provider. */
export interface ToolDeps {
  config: Config;
  logger: Logger;
  provider: AsrProvider;
}
