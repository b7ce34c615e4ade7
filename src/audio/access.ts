/**
 * Which local files the server may read. A prompt injection must not be able to turn "transcribe
 * ~/.ssh/id_rsa" into an upload, so local paths are confined to allowed roots:
 *   1. the client's MCP roots, when it offers any (plus ASR_ALLOWED_DIRS: the user's own grant);
 *   2. else ASR_ALLOWED_DIRS;
 *   3. else home, the temp directory and the working directory (unless that is `/` or holds home),
 *      with hidden directories under home (~/.ssh, ~/.aws, ~/.config, …) left out.
 * The check runs on the path as given (so nothing outside is even looked at) and again on its real
 * path, so a symlink cannot lead out.
 */
import { realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '../domain/errors.js';

type RootsSource = 'client roots' | 'ASR_ALLOWED_DIRS' | 'default' | 'none';

export interface AllowedRoots {
  dirs: string[];
  source: RootsSource;
  /** Under this directory (home), entries whose name starts with a dot are refused. */
  hiddenUnder?: string;
}

export interface FileAccessOptions {
  home: string;
  cwd: string;
  allowedDirs?: string[];
  /** The client's roots as paths, or undefined when it offers none. */
  clientRoots?: () => Promise<string[] | undefined>;
  /** No confinement (the command line, where the user types the path), unless ASR_ALLOWED_DIRS is set. */
  unrestricted?: boolean;
  /**
   * No default folders (the HTTP transport: its caller may be remote and has no roots to offer), so
   * local files are read only from ASR_ALLOWED_DIRS.
   */
  noDefaults?: boolean;
  platform?: NodeJS.Platform;
  tmp?: string;
}

export class FileAccess {
  private readonly p: typeof path.posix;

  constructor(private readonly opts: FileAccessOptions) {
    this.p = (opts.platform ?? process.platform) === 'win32' ? path.win32 : path.posix;
  }

  get confined(): boolean {
    return !this.opts.unrestricted || this.opts.allowedDirs !== undefined;
  }

  async roots(): Promise<AllowedRoots> {
    const env = this.opts.allowedDirs;
    const client = await this.opts.clientRoots?.().catch(() => undefined);
    if (client && client.length > 0)
      return { dirs: unique([...client, ...(env ?? [])]), source: 'client roots' };
    if (env) return { dirs: env, source: 'ASR_ALLOWED_DIRS' };
    if (this.opts.noDefaults) return { dirs: [], source: 'none' };
    const { home, cwd } = this.opts;
    const dirs = [home, this.opts.tmp ?? tmpdir()];
    const cwdIsRootOrHoldsHome =
      this.p.parse(cwd).root === this.p.resolve(cwd) || isInside(home, cwd, this.p);
    if (!cwdIsRootOrHoldsHome) dirs.push(cwd);
    return { dirs: unique(dirs), source: 'default', hiddenUnder: home };
  }

  /**
   * Returns the real path to read, or throws an InputError naming the allowed roots and how to add one.
   * `given` is what the caller passed, for the message.
   */
  async authorize(file: string, given: string): Promise<string> {
    if (isDevicePath(file, this.p)) {
      throw new InputError(
        `${given} is a network (UNC) or device path; only files on local drives are read. Copy it to a local folder first.`,
      );
    }
    if (!this.confined) return file;
    const roots = await this.roots();
    this.refuseOutside(file, given, roots, roots.dirs);
    let real: string;
    try {
      real = await realpath(file);
    } catch {
      return file; // missing or unreadable: the caller reports that with its own words
    }
    const realRoots = await Promise.all(roots.dirs.map((d) => realpath(d).catch(() => d)));
    const realHidden =
      roots.hiddenUnder && (await realpath(roots.hiddenUnder).catch(() => roots.hiddenUnder));
    this.refuseOutside(real, given, { ...roots, hiddenUnder: realHidden }, realRoots, file !== real);
    return real;
  }

  private refuseOutside(
    file: string,
    given: string,
    roots: AllowedRoots,
    dirs: string[],
    viaLink = false,
  ): void {
    const how =
      roots.source === 'client roots'
        ? 'Add its folder as a root in your MCP client (or to ASR_ALLOWED_DIRS in the server env)'
        : `Add its folder to ASR_ALLOWED_DIRS in the server's env (separate several with "${this.p.delimiter}")`;
    const link = viaLink ? ` (it is a link to ${file})` : '';
    if (roots.source === 'none') {
      throw new InputError(
        `${given} is a local path, and over HTTP this server reads local files only from ASR_ALLOWED_DIRS, which is not set. Nothing was read or sent.`,
        {
          hint: `Set ASR_ALLOWED_DIRS to the folders the server may read (separated by "${this.p.delimiter}"), or pass an http(s) URL.`,
        },
      );
    }
    if (!dirs.some((d) => isInside(file, d, this.p))) {
      throw new InputError(
        `${given}${link} is outside the folders this server may read (${roots.source}: ${roots.dirs.join(', ')}). Nothing was read or sent.`,
        { hint: `${how}, or move the recording into one of them.` },
      );
    }
    if (roots.hiddenUnder && isInside(file, roots.hiddenUnder, this.p)) {
      const rel = this.p.relative(roots.hiddenUnder, file);
      const hidden = rel.split(/[\\/]/).find((part) => part.startsWith('.'));
      if (hidden) {
        throw new InputError(
          `${given}${link} is inside the hidden folder ~/${hidden}, which holds settings and keys and is never read by default. Nothing was read or sent.`,
          { hint: `If it really is a recording, move it, or ${how.charAt(0).toLowerCase()}${how.slice(1)}.` },
        );
      }
    }
  }
}

/** Is `child` the directory `parent` or inside it? (win32 paths compare case-insensitively.) */
export function isInside(child: string, parent: string, p: typeof path.posix = path): boolean {
  const rel = p.relative(p.resolve(parent), p.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !p.isAbsolute(rel));
}

/** UNC shares (`\\server\share`) and device namespaces (`\\?\`, `\\.\`) on Windows. */
export function isDevicePath(file: string, p: typeof path.posix = path): boolean {
  if (p !== path.win32) return false;
  return /^[\\/]{2}/.test(file);
}

function unique(dirs: string[]): string[] {
  return [...new Set(dirs)];
}
