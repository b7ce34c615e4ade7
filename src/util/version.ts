import { readFileSync } from 'node:fs';

/** Set by the build (scripts/build.mjs) from package.json; absent when running from source. */
declare const __QWEN_ASR_VERSION__: string | undefined;

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const VERSION = typeof __QWEN_ASR_VERSION__ === 'string' ? __QWEN_ASR_VERSION__ : readVersion();
