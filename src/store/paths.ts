/**
 * Where outputs go. OUTPUT_DIR (default ./output) is tried first; desktop clients often start servers
 * with "/" as the working directory, where nothing is writable, so we fall back to the per-user data
 * directory and say so once.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../util/log.js';

const APP_DIR = 'ai-audio-asr';

export interface OutputLocation {
  root: string;
  transcripts: string;
  tasks: string;
  /** Set when OUTPUT_DIR could not be used. */
  fallbackReason?: string;
}

function userDataDir(
  env: Record<string, string | undefined>,
  home: string,
  platform = process.platform,
): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'qwen-asr-mcp');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'qwen-asr-mcp');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'qwen-asr-mcp');
}

function usable(dir: string): string | undefined {
  try {
    mkdirSync(join(dir, APP_DIR, 'transcripts'), { recursive: true });
    mkdirSync(join(dir, APP_DIR, 'tasks'), { recursive: true });
    accessSync(join(dir, APP_DIR), constants.W_OK);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
}

export class OutputDirs {
  private location: OutputLocation | undefined;

  constructor(
    private readonly outputDir: string,
    private readonly env: Record<string, string | undefined>,
    private readonly home: string,
    private readonly logger: Logger,
  ) {}

  /** Resolved on first use, so a server that never writes never creates directories. */
  get(): OutputLocation {
    if (this.location) return this.location;
    let root = this.outputDir;
    let fallbackReason: string | undefined;
    const problem = usable(root);
    if (problem) {
      const fallback = userDataDir(this.env, this.home);
      const fallbackProblem = usable(fallback);
      if (fallbackProblem) {
        throw new Error(
          `Neither OUTPUT_DIR (${root}: ${problem}) nor the fallback ${fallback} (${fallbackProblem}) is writable; set OUTPUT_DIR to a writable directory.`,
        );
      }
      fallbackReason = `OUTPUT_DIR ${root} is not writable (${problem}); transcripts are saved under ${fallback} instead. Set OUTPUT_DIR to choose.`;
      this.logger.warn(fallbackReason);
      root = fallback;
    }
    this.location = {
      root,
      transcripts: join(root, APP_DIR, 'transcripts'),
      tasks: join(root, APP_DIR, 'tasks'),
      fallbackReason,
    };
    return this.location;
  }
}
