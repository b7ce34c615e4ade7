/**
 * A local file opened once. Every byte the server reads from a recording (the sniff, the duration,
 * the data URI, the upload's multipart body) comes from this one descriptor, read at explicit
 * positions so a retried request reads from 0 again. Nothing reopens the file by path, so a link or
 * a rename swapped in after the access check cannot change what is sent.
 *
 * Opening checks that the descriptor is the file that was checked: the real path is opened with
 * O_NOFOLLOW (where the platform has it), and the descriptor's device and inode must equal those of
 * the real path; on Linux the kernel's own name for the descriptor must be that real path too.
 */
import { constants } from 'node:fs';
import { type FileHandle, open, readlink, stat } from 'node:fs/promises';
import { InputError } from '../domain/errors.js';
import type { ByteSource } from './duration.js';

/** Flags for reading a file we checked: never follow a link swapped in, never block on a FIFO. */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

export class OpenFile implements ByteSource {
  private owners = 1;
  private closed: Promise<void> | undefined;

  constructor(
    /** The real path that was checked and opened; used in messages. */
    readonly path: string,
    /** The size when opened: exactly this many bytes are ever sent. */
    readonly size: number,
    private readonly handle: FileHandle,
  ) {}

  /** One more owner (a background upload that outlives the call): the file stays open until both release it. */
  retain(): void {
    if (this.owners <= 0) throw new Error(`${this.path} was already closed`);
    this.owners++;
  }

  /** Gives up one owner's claim; the last one closes the descriptor. */
  release(): Promise<void> {
    if (this.owners > 0) this.owners--;
    if (this.owners > 0) return Promise.resolve();
    this.closed ??= this.handle.close().catch(() => {});
    return this.closed;
  }

  /** Up to `length` bytes at `offset` (fewer at the end of the file). */
  async read(offset: number, length: number): Promise<Buffer> {
    const len = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.alloc(len);
    if (len === 0) return buf;
    const bytesRead = await this.readInto(buf, len, offset);
    return buf.subarray(0, bytesRead);
  }

  /**
   * The whole file, start to end, in pieces of at most `chunkBytes`: exactly `size` bytes, or an
   * InputError when the file shrank or grew meanwhile (a declared Content-Length must never lie).
   */
  async *chunks(chunkBytes: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
    let position = 0;
    while (position < this.size) {
      signal?.throwIfAborted();
      const want = Math.min(chunkBytes, this.size - position);
      const buf = Buffer.allocUnsafe(want);
      const got = await this.readInto(buf, want, position);
      if (got === 0) throw this.changedSize();
      position += got;
      yield got === want ? buf : buf.subarray(0, got);
    }
    const probe = Buffer.alloc(1);
    if ((await this.readInto(probe, 1, this.size)) > 0) throw this.changedSize();
  }

  /**
   * The file in chunks read into three buffers used in turn, for senders that write each chunk out
   * before asking for the next (an HTTP body with back-pressure): no allocation per chunk, so a 1 GB
   * upload does not churn the heap. While one chunk is sent the next is read; a buffer is refilled
   * only two chunks after it was handed out, once the sender has written it and asked for more.
   */
  async *reusedChunks(chunkBytes: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const buffers = [0, 1, 2].map(() => Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(1, this.size))));
    let position = 0;
    let turn = 0;
    let reading = this.size > 0 ? this.readInto(buffers[0]!, Math.min(chunkBytes, this.size), 0) : undefined;
    while (position < this.size && reading) {
      signal?.throwIfAborted();
      const got = await reading;
      if (got === 0) throw this.changedSize();
      const buf = buffers[turn % 3]!;
      position += got;
      turn++;
      reading =
        position < this.size
          ? this.readInto(buffers[turn % 3]!, Math.min(chunkBytes, this.size - position), position)
          : undefined;
      yield got === buf.length ? buf : buf.subarray(0, got);
    }
    const probe = Buffer.alloc(1);
    if ((await this.readInto(probe, 1, this.size)) > 0) throw this.changedSize();
  }

  private async readInto(buf: Buffer, length: number, position: number): Promise<number> {
    try {
      const { bytesRead } = await this.handle.read(buf, 0, length, position);
      return bytesRead;
    } catch (err) {
      // A local fault, never a network one: named as the file, and never worth a retry.
      throw new InputError(`Could not read ${this.path}: ${describeFsError(err)}. Nothing more was sent.`, {
        cause: err,
      });
    }
  }

  private changedSize(): InputError {
    return new InputError(
      `${this.path} changed size while it was being read. Try again once it is complete.`,
    );
  }
}

/**
 * Opens a real path (no links left in it) and checks the descriptor is that file: a regular file,
 * not empty, the same device and inode as the path. Every refusal is an InputError naming the file.
 */
export async function openChecked(
  real: string,
  opts: {
    /**
     * Where the kernel names the descriptor (Linux) and the name is not `real`: may that file be read?
     * Without it, any other name is refused.
     */
    permits?: (kernelName: string) => Promise<boolean>;
  } = {},
): Promise<OpenFile> {
  let handle: FileHandle;
  try {
    handle = await open(real, READ_FLAGS);
  } catch (err) {
    throw openError(err, real);
  }
  try {
    const info = await handle.stat({ bigint: true });
    if (!info.isFile()) {
      throw new InputError(
        `${real} is ${info.isDirectory() ? 'a directory' : 'not a regular file'}. Pass one audio file.`,
      );
    }
    if (info.size === 0n) throw new InputError(`${real} is empty (0 bytes). Pass a recording.`);
    const byPath = await stat(real, { bigint: true }).catch(() => undefined);
    const same = byPath !== undefined && byPath.dev === info.dev && byPath.ino === info.ino;
    if (!same || !(await kernelNameAllowed(handle, real, opts.permits))) {
      throw new InputError(
        `${real} changed while it was being opened (moved, replaced or relinked). Nothing was read or sent; try again.`,
      );
    }
    return new OpenFile(real, Number(info.size), handle);
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
}

/**
 * Linux names every open descriptor in /proc: the file really opened, whatever folder was swapped for
 * a link on the way (which O_NOFOLLOW, guarding only the last name, and the inode check, made through
 * the same swapped path, cannot see). Elsewhere, or without /proc, there is nothing to ask.
 */
async function kernelNameAllowed(
  handle: FileHandle,
  real: string,
  permits: ((name: string) => Promise<boolean>) | undefined,
): Promise<boolean> {
  if (process.platform !== 'linux') return true;
  let name: string;
  try {
    name = await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return true;
  }
  if (name === real) return true;
  return permits ? permits(name) : false;
}

function openError(err: unknown, real: string): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new InputError(`${real} disappeared while it was being opened. Nothing was read or sent.`);
  }
  if (code === 'ELOOP' || code === 'EMLINK') {
    // O_NOFOLLOW met a link where the checked file was: it was swapped after the check.
    return new InputError(
      `${real} changed while it was being opened (it is now a link). Nothing was read or sent.`,
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new InputError(
      `The server may not read ${real} (permission denied). Check the file's permissions.`,
    );
  }
  return new InputError(`Cannot open ${real}: ${describeFsError(err)}`, { cause: err });
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? e?.message ?? String(err);
}
