import { randomBytes } from 'node:crypto';
import { link, lstat, open, rename, rm } from 'node:fs/promises';
import { FsError, fsErrorCode } from '../util/fs-errors.js';

/** What a file is written from: its whole content, or pieces of text written one after another. */
export type FileData = string | Buffer | Iterable<string>;
/** Writes a whole file that does not exist yet; the seam tests use to fail a write. */
export type WriteNew = (path: string, data: FileData) => Promise<void>;

/** Creates `path` exclusively (mode 0600), writes it and flushes it to the device before closing. */
export const writeNewFile: WriteNew = async (path, data) => {
  const handle = await open(path, 'wx', 0o600);
  try {
    if (typeof data === 'string' || Buffer.isBuffer(data)) await handle.writeFile(data);
    else {
      for (const piece of data) {
        const bytes = Buffer.from(piece);
        for (let at = 0; at < bytes.length; ) {
          const { bytesWritten } = await handle.write(bytes, at);
          if (bytesWritten === 0) throw new Error(`writing ${path} made no progress`);
          at += bytesWritten;
        }
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
};

function tempName(path: string): string {
  return `${path}.${randomBytes(4).toString('hex')}.tmp`;
}

/** Write to a temporary sibling, then rename: readers see the old file or the new one, never half. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = tempName(path);
  try {
    await writeNewFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    // Named after the file meant, not the temporary one Node's error mentions.
    const code = fsErrorCode(err);
    throw code ? new FsError(code, path, { cause: err }) : err;
  }
}

/** File systems without hard links (FAT, some network shares) answer link() with one of these. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/**
 * Creates `path` whole or not at all, and never over an existing file: the data goes to a temporary
 * sibling (ending in `.tmp`), which is then hard-linked to `path` (link() fails with EEXIST when `path`
 * exists, unlike rename()) and removed. Readers and a crash see no file or the complete one. Where
 * hard links are unsupported the temporary file is renamed into place after checking that `path` is
 * free. On failure nothing is left behind, and the error is the one that stopped it.
 */
export async function createFileAtomic(
  path: string,
  data: FileData,
  write: WriteNew = writeNewFile,
): Promise<void> {
  const tmp = tempName(path);
  try {
    await write(tmp, data);
    try {
      await link(tmp, path);
    } catch (err) {
      if (!NO_LINKS.has(fsErrorCode(err) ?? '')) throw err;
      const taken = await lstat(path).then(
        () => true,
        () => false,
      );
      if (taken) throw new FsError('EEXIST', path);
      await rename(tmp, path);
    }
  } finally {
    await rm(tmp, { force: true }).catch(() => {});
  }
}
