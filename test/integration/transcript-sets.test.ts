/**
 * Issue #13, finding 2: a saved transcript set is whole or absent. Files appear only complete (temp
 * name, then linked into place without overwriting), the JSON last; a set that fails half-way is
 * removed with its temporary files; readers never name or load a set whose JSON does not parse.
 */
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { dashscopeHttp } from '../../src/dashscope/http.js';
import type { TranscriptionResult } from '../../src/domain/result.js';
import { createFileAtomic, type WriteNew } from '../../src/store/atomic.js';
import { OutputDirs } from '../../src/store/paths.js';
import { TaskStore } from '../../src/store/tasks.js';
import { TranscriptStore } from '../../src/store/transcripts.js';
import { TranscriptionService } from '../../src/transcription/service.js';
import { captureLogger, tempDir, testConfig } from '../helpers/env.js';

const fake = new FakeDashScope({ runMs: 20 });
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const result = (over: Partial<TranscriptionResult> = {}): TranscriptionResult => ({
  text: 'Hello there. General Kenobi.',
  task_id: 'task-1',
  status: 'SUCCEEDED',
  model: 'qwen3-asr-flash-filetrans',
  sentences: [
    { begin_ms: 0, end_ms: 900, text: 'Hello there.' },
    { begin_ms: 1000, end_ms: 2000, text: 'General Kenobi.' },
  ],
  warnings: [],
  raw: null,
  ...over,
});

function store(writeFile?: WriteNew) {
  const home = tempDir();
  const dirs = new OutputDirs(join(home, 'out'), {}, home, captureLogger());
  return { dirs, transcripts: new TranscriptStore(dirs, { writeFile }), dir: dirs.get().transcripts };
}

/** A write that dies half-way through the JSON (the process killed, the disk full): half a file, then an error. */
const dyingOnJson: WriteNew = async (path, data) => {
  if (/\.json\.[0-9a-f]+\.tmp$/.test(path)) {
    const text = typeof data === 'string' || Buffer.isBuffer(data) ? String(data) : [...data].join('');
    await writeFile(path, text.slice(0, 40), { flag: 'wx' });
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  }
  await writeFile(path, data, { flag: 'wx', mode: 0o600 });
};

describe('writing a set', () => {
  it('writes json, txt, srt and vtt whole, leaves no temporary files, and reads them back', async () => {
    const { transcripts, dir } = store();
    const saved = await transcripts.save(result(), 'talk');
    expect(saved.storage).toBe('disk');
    expect(Object.keys(saved.files!).sort()).toEqual(['json', 'srt', 'txt', 'vtt']);
    expect(readdirSync(dir).sort()).toEqual(
      ['json', 'srt', 'txt', 'vtt'].map((ext) => `${saved.transcript_id}.${ext}`),
    );
    expect(JSON.parse(readFileSync(saved.files!.json, 'utf8'))).toEqual(saved);
    expect(await transcripts.load(saved.transcript_id!)).toEqual(saved);
    expect(await transcripts.list()).toEqual([saved.transcript_id]);
  });

  it('removes the whole set, temporary files included, when the JSON cannot be written', async () => {
    const { transcripts, dir } = store(dyingOnJson);
    const err = await transcripts.save(result(), 'talk').catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/^ENOSPC, no space left on the device: .*\.json$/);
    expect(readdirSync(dir)).toEqual([]);
    expect(await transcripts.list()).toEqual([]);
  });

  it('never replaces an existing file, and keeps its content', async () => {
    const dir = tempDir();
    const path = join(dir, 'a.json');
    writeFileSync(path, 'first');
    const err = await createFileAtomic(path, 'second').catch((e) => e);
    expect(err.code).toBe('EEXIST');
    expect(readFileSync(path, 'utf8')).toBe('first');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });
});

describe('reading sets', () => {
  it('skips a set whose JSON does not parse (a truncated file from a crash) in list, load and loadText', async () => {
    const { transcripts, dir } = store();
    const good = await transcripts.save(result(), 'good');
    const whole = readFileSync(good.files!.json, 'utf8');
    const broken = '20240101-120000-broken-abcdef';
    writeFileSync(join(dir, `${broken}.txt`), 'Hello there. General Kenobi.\n');
    writeFileSync(join(dir, `${broken}.json`), whole.slice(0, Math.floor(whole.length / 2)));
    const notObject = '20240101-120001-array-abcdef';
    writeFileSync(join(dir, `${notObject}.txt`), 'x\n');
    writeFileSync(join(dir, `${notObject}.json`), '[1, 2]\n');
    const noText = '20240101-120002-notext-abcdef';
    writeFileSync(join(dir, `${noText}.json`), whole); // JSON fine, but its .txt is missing

    expect(await transcripts.list()).toEqual([good.transcript_id]);
    for (const id of [broken, notObject]) {
      expect(await transcripts.load(id)).toBeUndefined();
      expect(await transcripts.loadText(id)).toBeUndefined();
    }
    // Repaired (rewritten whole), the set is listed again: validity is not cached past a change.
    writeFileSync(join(dir, `${broken}.json`), whole);
    expect(await transcripts.list()).toEqual([good.transcript_id, broken]);
  });

  it('checks a large JSON at both ends', async () => {
    const { transcripts, dir } = store();
    const big = result({ text: 'word '.repeat(300_000) });
    const saved = await transcripts.save(big, 'big');
    expect(await transcripts.list()).toEqual([saved.transcript_id]);
    const whole = readFileSync(saved.files!.json, 'utf8');
    const cut = '20240101-120000-cut-abcdef';
    writeFileSync(join(dir, `${cut}.txt`), 'x\n');
    writeFileSync(join(dir, `${cut}.json`), whole.slice(0, whole.length - 200));
    expect(await transcripts.list()).toEqual([saved.transcript_id]);
  });

  it('sweeps leftovers of a killed writer once they are an hour old, and leaves fresh ones alone', async () => {
    const { transcripts, dir } = store();
    const old = new Date(Date.now() - 2 * 3600 * 1000);
    const names = {
      oldTmp: '20240101-120000-x-aaaaaa.json.0badf00d.tmp',
      oldOrphan: '20240101-120000-x-aaaaaa.txt',
      freshTmp: '20240101-120000-y-bbbbbb.txt.0badf00d.tmp',
      freshOrphan: '20240101-120000-y-bbbbbb.txt',
    };
    for (const name of Object.values(names)) writeFileSync(join(dir, name), 'partial');
    for (const name of [names.oldTmp, names.oldOrphan]) utimesSync(join(dir, name), old, old);
    const saved = await transcripts.save(result({ sentences: [] }), 'z');
    expect(readdirSync(dir).sort()).toEqual(
      [names.freshTmp, names.freshOrphan, `${saved.transcript_id}.json`, `${saved.transcript_id}.txt`].sort(),
    );
  });
});

describe('through the service', () => {
  it('a set that fails half-way leaves nothing on disk; the transcript is kept in memory', async () => {
    const home = tempDir();
    const config = testConfig(fake, home);
    const logger = captureLogger();
    const dirs = new OutputDirs(config.outputDir, config.env, config.home, logger);
    const transcripts = new TranscriptStore(dirs, { writeFile: dyingOnJson });
    const service = new TranscriptionService({
      config,
      logger,
      dirs,
      tasks: new TaskStore(dirs),
      transcripts,
      http: dashscopeHttp(config, logger, { backoffBaseMs: 5, backoffMaxMs: 20 }),
    });
    const url = fake.addMedia('interview.mp3', { durationS: 600, text: 'One. Two. Three.' });
    const out = await service.transcribe({ audio: url, model: 'qwen3-asr-flash-filetrans' });
    expect(out.storage).toBe('memory');
    expect(out.files).toBeUndefined();
    expect(out.warnings.at(-1)).toContain(`${out.transcript_id}.json;`);
    expect(out.warnings.at(-1)).toMatch(/^Not saved to disk: ENOSPC, no space left on the device: .*\.json;/);
    mkdirSync(dirs.get().transcripts, { recursive: true });
    expect(readdirSync(dirs.get().transcripts)).toEqual([]);
    expect((await transcripts.load(out.transcript_id!))?.text).toBe('One. Two. Three.');
    await service.close(0);
  });
});
