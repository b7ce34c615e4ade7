/**
 * Saved transcripts: `<time>-<source stem>-<short id>.{json,txt,srt,vtt}` under the transcripts
 * directory, and, when the disk refuses them, in this process's memory under the same kind of id.
 *
 * A set on disk is whole or absent: each file is written under a temporary name and linked into place
 * (never over an existing file), the JSON last, so its presence means the set is complete; a set that
 * fails half-way is removed. Readers only see sets whose JSON is there and intact. Every saved copy has
 * URL credentials masked.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SavedFiles, TranscriptionResult } from '../domain/result.js';
import { jsonPieces } from '../format/json-pieces.js';
import { jsonSize } from '../format/json-size.js';
import { toSrt, toVtt } from '../format/subtitles.js';
import { fsErrorCode, fsProblem } from '../util/fs-errors.js';
import { scrub } from '../util/secrets.js';
import { createFileAtomic, type FileData, type WriteNew, writeNewFile } from './atomic.js';
import { MemoryTranscripts } from './memory.js';
import type { OutputDirs } from './paths.js';
import { maskUrlsInPlace } from './redact.js';

const ID_PATTERN = /^[0-9]{8}-[0-9]{6}-[A-Za-z0-9._-]{1,64}-[0-9a-f]{6}$/;
const SET_MEMBER = /^(.+)\.(txt|srt|vtt)$/;
const HOUR_MS = 3600 * 1000;
/** JSON files up to this size are parsed to check them; larger ones are checked at both ends. */
const PARSE_CHECK_BYTES = 1024 * 1024;

function isTranscriptId(id: string): boolean {
  return ID_PATTERN.test(id);
}

function stamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/**
 * The stored form: URLs masked, secrets scrubbed (string by string, in one copy), and the result exactly
 * as a reader will load it. Compact JSON: a 12-hour transcript with word timings is tens of MB, and
 * every extra copy of it is memory the server holds at its peak, so the file is written from pieces.
 */
function stored(result: TranscriptionResult): TranscriptionResult {
  // A shallow copy is ours to change; the nested responses and sentences were built for this result.
  const masked = maskUrlsInPlace(result);
  // As a reader will load it: a key set to undefined is no key at all in JSON.
  for (const key of Object.keys(masked) as (keyof TranscriptionResult)[]) {
    if (masked[key] === undefined) delete masked[key];
  }
  return masked;
}

/** The saved JSON file's content, about a megabyte at a time. */
function* jsonFile(result: TranscriptionResult): Generator<string> {
  yield* jsonPieces(result);
  yield '\n';
}

/** A set the disk refused; `transcriptId` is the id it was to have, free again now that its files are gone. */
export class SaveFailedError extends Error {
  constructor(
    message: string,
    readonly transcriptId: string,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'SaveFailedError';
  }
}

export interface TranscriptStoreOptions {
  /** Writes each file's temporary copy; tests pass one that fails. */
  writeFile?: WriteNew;
  /** Limits of the in-process store: 256 MB in total, 24 h per transcript unless told. */
  memory?: { maxBytes?: number; ttlMs?: number; now?: () => number };
}

export class TranscriptStore {
  private readonly write: WriteNew;
  private readonly memory: MemoryTranscripts;
  /** JSON files already checked, by id, while their size and mtime stay the same. */
  private readonly checked = new Map<string, { size: number; mtimeMs: number; ok: boolean }>();
  private swept = false;

  constructor(
    private readonly dirs: OutputDirs,
    opts: TranscriptStoreOptions = {},
  ) {
    this.write = opts.writeFile ?? writeNewFile;
    this.memory = new MemoryTranscripts({
      maxBytes: opts.memory?.maxBytes ?? 256 * 1024 * 1024,
      ttlMs: opts.memory?.ttlMs ?? 24 * HOUR_MS,
      now: opts.memory?.now ?? Date.now,
    });
  }

  private newId(stem: string, now: Date): string {
    for (;;) {
      const id = `${stamp(now)}-${stem}-${randomBytes(3).toString('hex')}`;
      if (!this.memory.has(id)) return id;
    }
  }

  /**
   * Writes the set to disk and returns the result as saved: `transcript_id`, `files`, `storage: 'disk'`,
   * URLs masked. Throws (with the errno code and path in the message) when the disk refuses; then no
   * file of the set is left behind.
   */
  async save(result: TranscriptionResult, stem: string, now = new Date()): Promise<TranscriptionResult> {
    const dir = this.dirs.get().transcripts;
    if (!this.swept) {
      this.swept = true;
      await this.sweep(dir);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.writeSet(dir, result, this.newId(stem, now));
      } catch (err) {
        // A name taken by another process in the same second: draw another.
        if (fsErrorCode((err as Error).cause) !== 'EEXIST' || attempt >= 3) throw err;
      }
    }
  }

  private async writeSet(dir: string, result: TranscriptionResult, id: string): Promise<TranscriptionResult> {
    const base = join(dir, id);
    const files: SavedFiles = { json: `${base}.json`, txt: `${base}.txt` };
    const sentences = result.sentences ?? [];
    const timed = sentences.length > 0 && sentences.some((s) => s.end_ms > 0);
    if (timed) {
      files.srt = `${base}.srt`;
      files.vtt = `${base}.vtt`;
    }
    const saved = stored({ ...result, transcript_id: id, storage: 'disk', files });
    const pieces: [string, () => FileData][] = [[files.txt, () => scrub(`${saved.text}\n`)]];
    if (timed) {
      pieces.push([files.srt!, () => scrub(toSrt(saved.sentences ?? []))]);
      pieces.push([files.vtt!, () => scrub(toVtt(saved.sentences ?? []))]);
    }
    // The JSON last: its presence means the set is complete. It was masked string by string already.
    pieces.push([files.json, () => jsonFile(saved)]);
    const written: string[] = [];
    for (const [path, data] of pieces) {
      try {
        await createFileAtomic(path, data(), this.write);
        written.push(path);
      } catch (err) {
        await Promise.all(written.map((p) => rm(p, { force: true }).catch(() => {})));
        throw new SaveFailedError(fsProblem(err, path), id, { cause: err });
      }
    }
    return saved;
  }

  /**
   * Keeps a transcript the disk refused in this process (see MemoryTranscripts), under the id its set
   * was to have (`SaveFailedError.transcriptId`, so a warning naming the failed file names the same id)
   * or a new one, with `storage: 'memory'`, no `files`, and the warning `note(id)` added. Returns the
   * result as kept, or undefined when it is too large to keep.
   */
  keep(
    result: TranscriptionResult,
    stem: string,
    note: (id: string) => string,
    opts: { id?: string; now?: Date } = {},
  ): TranscriptionResult | undefined {
    const id =
      opts.id !== undefined && isTranscriptId(opts.id) && !this.memory.has(opts.id)
        ? opts.id
        : this.newId(stem, opts.now ?? new Date());
    const kept = stored({
      ...result,
      transcript_id: id,
      storage: 'memory',
      files: undefined, // dropped by the JSON round trip: there are no files
      warnings: [...result.warnings, note(id)],
    });
    const bytes = jsonSize(kept).bytes + Buffer.byteLength(kept.text);
    return this.memory.put(id, kept, bytes) ? kept : undefined;
  }

  async load(id: string): Promise<TranscriptionResult | undefined> {
    if (!isTranscriptId(id)) return undefined;
    const kept = this.memory.get(id);
    if (kept) return kept;
    try {
      const parsed = JSON.parse(await readFile(join(this.dirs.get().transcripts, `${id}.json`), 'utf8'));
      return parsed !== null && typeof parsed === 'object' && typeof parsed.text === 'string'
        ? (parsed as TranscriptionResult)
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** The transcript's text, for complete sets only (the same ones `list` names). */
  async loadText(id: string): Promise<string | undefined> {
    if (!isTranscriptId(id)) return undefined;
    const kept = this.memory.get(id);
    if (kept) return `${kept.text}\n`;
    try {
      const dir = this.dirs.get().transcripts;
      if (!(await this.intact(dir, id))) return undefined;
      return await readFile(join(dir, `${id}.txt`), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Ids of complete sets on disk and of transcripts kept in memory, newest first. */
  async list(): Promise<string[]> {
    let dir: string | undefined;
    let names: string[] = [];
    try {
      dir = this.dirs.get().transcripts;
      names = await readdir(dir);
    } catch {
      // no usable directory: only what memory holds
    }
    const present = new Set(names);
    const candidates = names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -5))
      .filter((id) => isTranscriptId(id) && present.has(`${id}.txt`));
    const onDisk: string[] = [];
    for (let i = 0; i < candidates.length; i += 32) {
      const batch = candidates.slice(i, i + 32);
      const ok = await Promise.all(batch.map((id) => this.intact(dir!, id)));
      onDisk.push(...batch.filter((_, j) => ok[j]));
    }
    return [...new Set([...onDisk, ...this.memory.ids()])].sort().reverse();
  }

  /**
   * Whether `<id>.json` is intact: parsed when small, checked at both ends when large (a truncated
   * file, what a crash in older versions left, fails either way). Remembered while the file is unchanged.
   */
  private async intact(dir: string, id: string): Promise<boolean> {
    const path = join(dir, `${id}.json`);
    try {
      const { size, mtimeMs } = await stat(path);
      const known = this.checked.get(id);
      if (known && known.size === size && known.mtimeMs === mtimeMs) return known.ok;
      const ok =
        size <= PARSE_CHECK_BYTES
          ? parsesAsTranscript(await readFile(path, 'utf8'))
          : await endsLookWhole(path, size);
      this.checked.set(id, { size, mtimeMs, ok });
      return ok;
    } catch {
      return false;
    }
  }

  /**
   * Leftovers of a process killed while writing (temporary files, a set without its JSON) are removed
   * once an hour has passed, so a writer still at work is never disturbed. Best effort.
   */
  private async sweep(dir: string): Promise<void> {
    try {
      const names = await readdir(dir);
      const present = new Set(names);
      const stale = names.filter((n) => {
        if (n.endsWith('.tmp')) return true;
        const member = SET_MEMBER.exec(n);
        return member !== null && isTranscriptId(member[1]!) && !present.has(`${member[1]}.json`);
      });
      const cutoff = Date.now() - HOUR_MS;
      for (const name of stale) {
        const path = join(dir, name);
        const old = await stat(path).then(
          (s) => s.mtimeMs < cutoff,
          () => false,
        );
        if (old) await rm(path, { force: true }).catch(() => {});
      }
    } catch {
      // leftovers stay until the next process tries
    }
  }
}

function parsesAsTranscript(text: string): boolean {
  try {
    const parsed = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && typeof parsed.text === 'string';
  } catch {
    return false;
  }
}

async function endsLookWhole(path: string, size: number): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(1);
    const tail = Buffer.alloc(Math.min(64, size));
    await handle.read(head, 0, 1, 0);
    await handle.read(tail, 0, tail.length, size - tail.length);
    return head.toString() === '{' && tail.toString('utf8').trimEnd().endsWith('}');
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}
