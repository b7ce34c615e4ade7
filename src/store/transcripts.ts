/**
 * Saved transcripts: `<time>-<source stem>-<short id>.{json,txt,srt,vtt}` under the transcripts
 * directory. Names are unique and files are created exclusively, so nothing is ever overwritten.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SavedFiles, TranscriptionResult } from '../domain/result.js';
import { toSrt, toVtt } from '../format/subtitles.js';
import { scrub } from '../util/secrets.js';
import type { OutputDirs } from './paths.js';

const ID_PATTERN = /^[0-9]{8}-[0-9]{6}-[A-Za-z0-9._-]{1,64}-[0-9a-f]{6}$/;

function isTranscriptId(id: string): boolean {
  return ID_PATTERN.test(id);
}

function stamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

export class TranscriptStore {
  constructor(private readonly dirs: OutputDirs) {}

  /** Writes the files and returns the result with `transcript_id` and `files` filled in. */
  async save(result: TranscriptionResult, stem: string, now = new Date()): Promise<TranscriptionResult> {
    const dir = this.dirs.get().transcripts;
    const id = `${stamp(now)}-${stem}-${randomBytes(3).toString('hex')}`;
    const base = join(dir, id);
    const files: SavedFiles = { json: `${base}.json`, txt: `${base}.txt` };
    const sentences = result.sentences ?? [];
    const timed = sentences.length > 0 && sentences.some((s) => s.end_ms > 0);
    if (timed) {
      files.srt = `${base}.srt`;
      files.vtt = `${base}.vtt`;
    }
    const saved: TranscriptionResult = { ...result, transcript_id: id, files };
    const write = (path: string, data: string) => writeFile(path, scrub(data), { flag: 'wx', mode: 0o600 });
    await write(files.txt, `${result.text}\n`);
    if (timed) {
      await write(files.srt!, toSrt(sentences));
      await write(files.vtt!, toVtt(sentences));
    }
    // The JSON last: its presence means the set is complete.
    await write(files.json, `${JSON.stringify(saved, null, 2)}\n`);
    return saved;
  }

  async load(id: string): Promise<TranscriptionResult | undefined> {
    if (!isTranscriptId(id)) return undefined;
    try {
      return JSON.parse(
        await readFile(join(this.dirs.get().transcripts, `${id}.json`), 'utf8'),
      ) as TranscriptionResult;
    } catch {
      return undefined;
    }
  }

  async loadText(id: string): Promise<string | undefined> {
    if (!isTranscriptId(id)) return undefined;
    return readFile(join(this.dirs.get().transcripts, `${id}.txt`), 'utf8').catch(() => undefined);
  }

  /** Newest first. */
  async list(): Promise<string[]> {
    const names = await readdir(this.dirs.get().transcripts).catch(() => [] as string[]);
    return names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -5))
      .filter(isTranscriptId)
      .sort()
      .reverse();
  }
}
