/** The HTTP client configured for DashScope: its retry settings and its error answers. */
import type { Config } from '../config/config.js';
import { HttpClient, type HttpOptions } from '../http/client.js';
import type { Logger } from '../util/log.js';
import { dashscopeErrors } from './errors.js';

export function dashscopeHttp(
  config: Pick<Config, 'httpTimeoutMs' | 'maxRetries' | 'region'>,
  logger: Logger,
  overrides: Partial<HttpOptions> = {},
): HttpClient {
  return new HttpClient({
    timeoutMs: config.httpTimeoutMs,
    maxRetries: config.maxRetries,
    logger,
    service: 'DashScope',
    errorFor: dashscopeErrors(config.region),
    ...overrides,
  });
}
