/**
 * Which local files the server may read. A prompt injection must not be able to turn "transcribe
 * ~/.ssh/id_rsa" into an upload, so local paths are confined to allowed roots:
 *   1. the client's MCP roots, when it offers any (plus ASR_ALLOWED_DIRS: the user's own grant);
 *   2. else ASR_ALLOWED_DIRS;
 *   3. else home, the temp directory and the working directory (unless that is `/` or holds home),
 *      with hidden directories under home (~/.ssh, ~/.aws, ~/.config, …) left out.
 * The check runs on the path as given (so nothing outside is even looked at) and again on its real
 * path, so a symlink cannot lead out; the real path is what gets opened (open-file.ts), once.
 */
import { lstat, realpath } from 'node:fs/promises';
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
   * Returns the real path to open (no links left in it), or throws an InputError naming the allowed
   * roots and how to add one. `given` is what the caller passed, for the message. When the path
   * cannot be resolved and no link is to blame (a plain missing or unreadable file) the file system's
   * own error is thrown, for the caller to word.
   *
   * A path that goes through a link is answered the same way whether the link leads outside the
   * roots, into a hidden folder, or nowhere (dangling): saying which would tell the caller what exists
   * outside the folders and where links point.
   */
  async authorize(file: string, given: string): Promise<string> {
    if (isDevicePath(file, this.p)) {
      throw new InputError(
        `${given} is a network (UNC) or device path; only files on local drives are read. Copy it to a local folder first.`,
      );
    }
    if (!this.confined) return realpath(file);
    const roots = await this.roots();
    this.refuseOutside(file, given, roots, roots.dirs);
    const { realView, realRoots } = await this.realRoots(roots);
    let real: string;
    try {
      real = await realpath(file);
    } catch (err) {
      if (await this.brokenByLink(file, realView, realRoots)) throw this.linkRefusal(given, roots);
      throw err; // missing or unreadable, no link involved: the caller reports that with its own words
    }
    if (!this.readable(real, realView, realRoots)) {
      if (real !== file) throw this.linkRefusal(given, roots);
      this.refuseOutside(real, given, realView, realRoots);
    }
    return real;
  }

  /**
   * May this real path (no links in it) be read? For a second look at a file already opened: the
   * name the kernel gives its descriptor, which may differ in spelling from the path that was opened.
   */
  async permits(real: string): Promise<boolean> {
    if (!this.confined) return true;
    const roots = await this.roots();
    if (roots.source === 'none') return false;
    const { realView, realRoots } = await this.realRoots(roots);
    return this.readable(real, realView, realRoots);
  }

  private async realRoots(roots: AllowedRoots): Promise<{ realView: AllowedRoots; realRoots: string[] }> {
    const realRoots = await Promise.all(roots.dirs.map((d) => realpath(d).catch(() => d)));
    const realHidden =
      roots.hiddenUnder && (await realpath(roots.hiddenUnder).catch(() => roots.hiddenUnder));
    return { realView: { ...roots, hiddenUnder: realHidden }, realRoots };
  }

  /**
   * For a path that does not resolve: is a link to blame? Either the part that exists resolves
   * somewhere unreadable (a link to an outside folder), or the first missing part is itself a link
   * (dangling, or a loop).
   */
  private async brokenByLink(file: string, roots: AllowedRoots, realRoots: string[]): Promise<boolean> {
    let prefix = file;
    const missing: string[] = [];
    for (;;) {
      const parent = this.p.dirname(prefix);
      if (parent === prefix) return false;
      missing.unshift(this.p.basename(prefix));
      prefix = parent;
      const realPrefix = await realpath(prefix).catch(() => undefined);
      if (realPrefix === undefined) continue;
      // Without a link on the way, a prefix of an allowed path may be a folder above a root; once a
      // link was followed, what it leads to must itself be inside a root.
      if (!this.readable(realPrefix, roots, realRoots, realPrefix === prefix)) return true;
      const next = await lstat(this.p.join(realPrefix, missing[0]!)).catch(() => undefined);
      return next?.isSymbolicLink() ?? false;
    }
  }

  /** Inside an allowed root and not under a hidden folder (a folder itself counts as inside). */
  private readable(real: string, roots: AllowedRoots, realRoots: string[], folder = false): boolean {
    if (!realRoots.some((d) => isInside(real, d, this.p) || (folder && isInside(d, real, this.p))))
      return false;
    if (roots.hiddenUnder && isInside(real, roots.hiddenUnder, this.p)) {
      const rel = this.p.relative(roots.hiddenUnder, real);
      if (rel.split(/[\\/]/).some((part) => part.startsWith('.'))) return false;
    }
    return true;
  }

  /** One answer for every path through a link that cannot be read, naming neither target nor reason. */
  private linkRefusal(given: string, roots: AllowedRoots): InputError {
    return new InputError(
      `${given} cannot be read: there is no file at that path, or the path goes through a link that leads somewhere this server may not read (${roots.source}: ${roots.dirs.join(', ')}). Nothing was read or sent.`,
      {
        hint: `Pass the path of the recording itself, inside one of those folders. ${this.howToAdd(roots)}, if the recording lives elsewhere.`,
      },
    );
  }

  private howToAdd(roots: AllowedRoots): string {
    return roots.source === 'client roots'
      ? 'Add its folder as a root in your MCP client (or to ASR_ALLOWED_DIRS in the server env)'
      : `Add its folder to ASR_ALLOWED_DIRS in the server's env (separate several with "${this.p.delimiter}")`;
  }

  private refuseOutside(file: string, given: string, roots: AllowedRoots, dirs: string[]): void {
    const how = this.howToAdd(roots);
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
        `${given} is outside the folders this server may read (${roots.source}: ${roots.dirs.join(', ')}). Nothing was read or sent.`,
        { hint: `${how}, or move the recording into one of them.` },
      );
    }
    if (roots.hiddenUnder && isInside(file, roots.hiddenUnder, this.p)) {
      const rel = this.p.relative(roots.hiddenUnder, file);
      const hidden = rel.split(/[\\/]/).find((part) => part.startsWith('.'));
      if (hidden) {
        throw new InputError(
          `${given} is inside the hidden folder ~/${hidden}, which holds settings and keys and is never read by default. Nothing was read or sent.`,
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
