import { scrub } from './secrets.js';

/**
 * stdout carries the protocol, so everything human goes to stderr. Every line passes through `redact`
 * with the secrets registered so far, so an API key cannot reach a log even by accident.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLogger(
  level: LogLevel = (process.env.ASR_LOG_LEVEL as LogLevel) || 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const threshold = ORDER[level] ?? ORDER.info;
  const emit = (at: LogLevel, message: string) => {
    if (ORDER[at] < threshold) return;
    write(`[qwen-asr-mcp] ${at}: ${scrub(message)}\n`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
  };
}
