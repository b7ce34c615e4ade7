import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import type { Logger } from '../../src/util/log.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'audio');
export const fixture = (name: string) => join(FIXTURES, name);

/** A temp directory removed after the file's tests. */
export function tempDir(prefix = 'qwen-asr-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Spawned servers may still be writing (their code cache, as they exit): retry a non-empty folder.
  afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 60, retryDelay: 100 }));
  return dir;
}

/** Config for an in-process service aimed at the fake, with fast polling. */
export function testConfig(fake: FakeDashScope, home: string, extra: Record<string, string> = {}): Config {
  return loadConfig(
    fake.env({
      OUTPUT_DIR: join(home, 'out'),
      ASR_POLL_INTERVAL_MS: '20',
      ASR_POLL_MAX_INTERVAL_MS: '50',
      ASR_MAX_TASK_QPS: '20',
      ASR_PROGRESS_INTERVAL_S: '0.05',
      ...extra,
    }),
    { home, cwd: home },
  );
}

export interface CapturedLogger extends Logger {
  lines: string[];
}

export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  const push = (level: string) => (m: string) => {
    lines.push(`${level}: ${m}`);
  };
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}
