/**
 * Turns the `audio` argument into something the service can send: a URL passed through as it is, or a
 * local file that exists, is a regular file and really is audio or video (checked by its bytes),
 * opened once (open-file.ts) so that what was checked is what is sent.
 */
import { realpath } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AsrError, InputError } from '../domain/errors.js';
import type { ByteStream } from '../util/byte-stream.js';
import { resolveUserPath } from '../util/paths.js';
import type { FileAccess } from './access.js';
import { type DurationEstimate, readDuration } from './duration.js';
import { type OpenFile, openChecked } from './open-file.js';
import { describeUnknown, SNIFF_BYTES, type SniffResult, sniff } from './sniff.js';

interface UrlAudio {
  kind: 'url';
  /** http(s) URL, or an `oss://` key from an earlier temporary upload. */
  url: string;
  name: string;
}

export interface FileAudio {
  kind: 'file';
  /** The real path that was checked and opened. */
  path: string;
  name: string;
  size: number;
  format: SniffResult;
  duration: DurationEstimate | undefined;
  /**
   * The open file every byte is read from. Whoever resolved the audio releases it when done; a
   * background upload that outlives the call retains it first and releases it when the upload ends.
   */
  handle: OpenFile;
}

export type AudioSource = UrlAudio | FileAudio;

const ACCEPTED_FORMATS_TEXT =
  'aac, amr, avi, aiff, flac, flv, m4a, mkv, mov, mp3, mp4, mpeg, ogg, opus, wav, webm, wma, wmv';

export async function resolveAudio(
  input: string,
  opts: { home: string; cwd?: string; access?: FileAccess },
): Promise<AudioSource> {
  const audio = input.trim();
  if (!audio)
    throw new InputError('`audio` is empty. Pass a local file path or an http(s) URL of the recording.');
  if (/^https?:\/\//i.test(audio)) {
    let url: URL;
    try {
      url = new URL(audio);
    } catch {
      throw new InputError(`\`audio\` "${audio}" looks like a URL but is not a valid one.`);
    }
    return { kind: 'url', url: url.href, name: nameFromUrl(url) };
  }
  if (/^oss:\/\//i.test(audio)) return { kind: 'url', url: audio, name: basename(audio) };
  if (/^data:/i.test(audio)) {
    throw new InputError(
      '`audio` is a data URI. Pass the path of the file instead (the server encodes it), or a public URL.',
    );
  }
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(audio) && !/^file:\/\//i.test(audio)) {
    throw new InputError(
      `\`audio\` "${audio}" uses an unsupported scheme. Pass a local path, a file:// URL, an http(s) URL or an oss:// URL.`,
    );
  }
  const cwd = opts.cwd ?? process.cwd();
  let path: string;
  try {
    path = /^file:\/\//i.test(audio) ? fileURLToPath(audio) : resolveUserPath(audio, opts.home, cwd);
  } catch {
    throw new InputError(`\`audio\` "${audio}" is not a valid file:// URL.`);
  }
  // Confinement first: a path outside the allowed folders is refused before it is even stat'ed.
  let real: string;
  try {
    real = opts.access ? await opts.access.authorize(path, audio) : await realpath(path);
  } catch (err) {
    if (err instanceof AsrError) throw err;
    throw unresolved(err, path, audio, cwd);
  }
  // Opened once: every later read (sniff, duration, the bytes sent) uses this descriptor.
  const access = opts.access;
  const handle = await openChecked(real, {
    permits: access?.confined ? (name) => access.permits(name) : async () => true,
  });
  try {
    return await inspectFile(handle);
  } catch (err) {
    await handle.release();
    throw err;
  }
}

function unresolved(err: unknown, path: string, given: string, cwd: string): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    const relativeNote =
      given === path
        ? ''
        : ` (resolved from "${given}" against the server's working directory ${cwd}; MCP clients often start servers in "/", so prefer an absolute path)`;
    return new InputError(`No file at ${path}${relativeNote}. Check the path, or pass an http(s) URL.`);
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new InputError(
      `The server may not read ${path} (permission denied). Check the file's permissions.`,
    );
  }
  return new InputError(`Cannot read ${path}: ${(err as Error).message}`, { cause: err });
}

async function inspectFile(handle: OpenFile): Promise<FileAudio> {
  const { path } = handle;
  const head = await handle.read(0, SNIFF_BYTES);
  const format = sniff(head, path);
  if (!format) {
    throw new InputError(
      `${path} is ${describeUnknown(head)}, not an audio or video file. Nothing was sent. ` +
        `Accepted formats: ${ACCEPTED_FORMATS_TEXT}.`,
    );
  }
  const duration = await readDuration(handle, format.container);
  return { kind: 'file', path, name: basename(path), size: handle.size, format, duration, handle };
}

function nameFromUrl(url: URL): string {
  const last = decodeURIComponent(url.pathname.split('/').filter(Boolean).pop() ?? '') || url.hostname;
  return last;
}

/** File name without extension, made safe for use in our own file names. */
export function sourceStem(source: AudioSource | { name: string }): string {
  const stem = basename(source.name, extname(source.name));
  return sanitizeName(stem).slice(0, 48) || 'audio';
}

export function sanitizeName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+|_+$/g, '');
}

const DATA_URI_OVERHEAD = (mime: string) => `data:${mime};base64,`.length;

/** Length of the data URI for a file of this size, without building it. */
export function dataUriLength(size: number, mime: string): number {
  return DATA_URI_OVERHEAD(mime) + 4 * Math.ceil(size / 3);
}

/**
 * The data URI of a file as a stream: read from disk and base64-encoded piece by piece while the
 * request is sent, so not even one whole copy of the encoding is held in memory.
 */
export function dataUriStream(file: FileAudio): ByteStream {
  const length = dataUriLength(file.size, file.format.mime);
  return {
    length,
    async *open(signal?: AbortSignal) {
      const prefix = Buffer.from(`data:${file.format.mime};base64,`, 'latin1');
      yield prefix;
      let produced = prefix.length;
      let carry = Buffer.alloc(0);
      // Chunk sizes a multiple of 3 keep base64 groups aligned, so pieces concatenate to the whole.
      // Read from the one open descriptor, from byte 0 on every attempt; a short or long read is an
      // InputError naming the file (never a network error, never retried).
      for await (const chunk of file.handle.chunks(3 * 128 * 1024, signal)) {
        const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
        const usable = data.length - (data.length % 3);
        const piece = Buffer.from(data.subarray(0, usable).toString('base64'), 'latin1');
        carry = Buffer.from(data.subarray(usable));
        produced += piece.length;
        yield piece;
      }
      if (carry.length > 0) {
        const last = Buffer.from(carry.toString('base64'), 'latin1');
        produced += last.length;
        yield last;
      }
      if (produced !== length) {
        // The declared Content-Length can no longer be honoured: abort rather than send a wrong body.
        throw new InputError(
          `${file.path} changed size while it was being read. Try again once it is complete.`,
        );
      }
    },
  };
}

/** The whole data URI in one Buffer (for callers that need it at once; requests use the stream). */
export async function buildDataUri(file: FileAudio, signal?: AbortSignal): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of dataUriStream(file).open(signal)) pieces.push(piece);
  return Buffer.concat(pieces);
}
