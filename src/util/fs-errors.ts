/**
 * File-system failures in words a reader can act on: the error code itself (EROFS, EACCES, ENOSPC…),
 * what it means, and the path it happened at. Node's own messages leave the path out for writes to an
 * open file ("ENOSPC: no space left on device, write"), so the caller passes it.
 */

const MEANING: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'already exists',
  EISDIR: 'is a directory',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many symbolic links',
};

/** The errno code of a Node file-system error (`EROFS`), if it has one. */
export function fsErrorCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * `EROFS, read-only file system: /out/ai-audio-asr`. Errors without a code keep their message;
 * `path` wins over the one inside the error, which may be a temporary name.
 */
export function fsProblem(err: unknown, path?: string): string {
  const code = fsErrorCode(err);
  const where = path ?? (err as NodeJS.ErrnoException | undefined)?.path;
  const at = where ? `: ${where}` : '';
  if (!code) return `${err instanceof Error ? err.message : String(err)}${at}`;
  const meaning = MEANING[code];
  return `${code}${meaning ? `, ${meaning}` : ''}${at}`;
}

/** A file-system error we raise ourselves, shaped like Node's (`code`, `path`). */
export class FsError extends Error {
  constructor(
    readonly code: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${MEANING[code] ?? 'file-system error'}, ${path}`, options);
    this.name = 'FsError';
  }
}
