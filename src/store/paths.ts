/**
 * Where outputs go. OUTPUT_DIR (default ./output) is tried first; desktop clients often start servers
 * with "/" as the working directory, where nothing is writable, so we fall back to the per-user data
 * directory and say so once.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FsError, fsErrorCode, fsProblem } from '../util/fs-errors.js';
import type { Logger } from '../util/log.js';

const APP_DIR = 'ai-audio-asr';

export interface OutputLocation {
  root: string;
  transcripts: string;
  tasks: string;
  /** Batch indexes (`<batch_id>.json` and `.csv`). */
  batches: string;
  /** Fingerprints of transcribed audio → transcript ids, for batches that resume. */
  fingerprints: string;
  /** MCP tasks (task-augmented tool calls): state and results, readable after a restart. */
  mcpTasks: string;
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

/**
 * Creates `dir` and its missing parents one level at a time. Node's recursive mkdir answers ENOENT when
 * a missing level cannot be created on a read-only volume; level by level, the real cause (EROFS,
 * EACCES, ENOTDIR, ENOSPC) comes out, with the path it happened at. Existing levels are not touched:
 * on a read-only volume mkdir of an existing directory may answer EROFS or EEXIST.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (err) {
      // ENOTDIR: a file is in the way further up; walk up to it, to name it.
      const code = fsErrorCode(err);
      const parent = dirname(at);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === at) throw err;
      missing.unshift(at);
      at = parent;
      continue;
    }
    if (!isDir) throw new FsError('ENOTDIR', at);
    break;
  }
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (err) {
      // Another process may have created it meanwhile; anything else is the answer.
      if (fsErrorCode(err) !== 'EEXIST' || !statSync(level).isDirectory()) throw err;
    }
  }
}

/** Why `dir` cannot hold our outputs (`EROFS, read-only file system: /out`), or undefined if it can. */
function usable(dir: string): string | undefined {
  try {
    const app = join(dir, APP_DIR);
    for (const sub of ['transcripts', 'tasks', 'batches', 'fingerprints', 'mcp-tasks'].map((d) =>
      join(app, d),
    )) {
      makeDirs(sub);
      accessSync(sub, constants.W_OK);
    }
    return undefined;
  } catch (err) {
    return fsProblem(err);
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
          `no writable output directory: OUTPUT_DIR ${root} is not writable (${problem}), nor is the fallback ${fallback} (${fallbackProblem}); set OUTPUT_DIR to a writable directory`,
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
      batches: join(root, APP_DIR, 'batches'),
      fingerprints: join(root, APP_DIR, 'fingerprints'),
      mcpTasks: join(root, APP_DIR, 'mcp-tasks'),
      fallbackReason,
    };
    return this.location;
  }
}
