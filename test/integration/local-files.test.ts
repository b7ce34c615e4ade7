/**
 * Local files are opened once (issue #13, findings 3, 4 and 8): a link that flips while calls run
 * never gets an outside file's bytes sent; a path through a link gets one answer whether the link
 * leads outside or nowhere; and a file that vanishes, shrinks or fails to read after the check is a
 * local InputError naming it, never a network error, never retried.
 */
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { FileAccess } from '../../src/audio/access.js';
import { dataUriStream, type FileAudio, resolveAudio } from '../../src/audio/source.js';
import { resolveModel } from '../../src/dashscope/models.js';
import { TemporaryUploader } from '../../src/dashscope/upload.js';
import { ConnectionError, InputError } from '../../src/domain/errors.js';
import { fixture, tempDir, testConfig } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';

const MARKER = 'OUTSIDE-SECRET-MARKER-7f3a';
const base = tempDir('qwen-asr-local-files-');
const home = join(base, 'home');
const music = join(home, 'Music');
const outside = join(base, 'outside');
const work = join(base, 'work');
const secretWav = join(outside, 'secret.wav');

const fake = new FakeDashScope({ runMs: 10 });
beforeAll(async () => {
  for (const d of [music, outside, work, join(base, 'tmp')]) mkdirSync(d, { recursive: true });
  // A real WAV (so it passes sniffing) whose samples carry a recognizable marker.
  const wav = readFileSync(fixture('speech-16k-mono.wav'));
  for (let at = 4096; at + MARKER.length < wav.length; at += 8192) wav.write(MARKER, at, 'latin1');
  writeFileSync(secretWav, wav);
  copyFileSync(fixture('speech-16k-mono.wav'), join(music, 'talk.wav'));
  await fake.start();
});
afterAll(() => fake.stop());

const access = () => new FileAccess({ home, cwd: work, tmp: join(base, 'tmp') });
const open = async (audio: string) => {
  const src = await resolveAudio(audio, { home, cwd: work, access: access() });
  if (src.kind !== 'file') throw new Error('expected a file');
  return src;
};

/** Every byte string the fake received in a data URI or an upload, decoded. */
function receivedBytes(): Buffer[] {
  const out: Buffer[] = [];
  for (const r of fake.requests) {
    const text = JSON.stringify(r.json ?? '');
    for (const m of text.matchAll(/;base64,([A-Za-z0-9+/=]+)/g)) out.push(Buffer.from(m[1]!, 'base64'));
  }
  for (const u of fake.uploads.values()) out.push(u.head);
  return out;
}

describe('a link flipped between dangling and an outside file while calls run (finding 3)', () => {
  it('never sends the outside bytes: 1,000 calls through the service, sync and uploads', async () => {
    const link = join(music, 'flip.wav');
    const dangling = join(outside, 'no-such-file.wav');
    symlinkSync(dangling, link);
    // Another thread swaps the link atomically (rename over it) as fast as it can.
    const flipper = new Worker(
      `const { symlinkSync, renameSync, rmSync } = require('node:fs');
       const { link, targets } = require('node:worker_threads').workerData;
       for (let i = 0; ; i++) {
         const tmp = link + '.tmp';
         rmSync(tmp, { force: true });
         symlinkSync(targets[i % 2], tmp);
         renameSync(tmp, link);
       }`,
      { eval: true, workerData: { link, targets: [secretWav, dangling] } },
    );
    const { service } = makeService(testConfig(fake, home), { access: access() });
    fake.requests.length = 0;
    const outcomes = { refused: 0, sent: 0, other: [] as string[] };
    try {
      for (let i = 0; i < 1000; i++) {
        const upload = i % 4 === 3;
        try {
          await service.transcribe(
            upload ? { audio: link, model: 'qwen3-asr-flash-filetrans', wait: false } : { audio: link },
          );
          outcomes.sent++;
        } catch (err) {
          if (err instanceof InputError) outcomes.refused++;
          else outcomes.other.push(String(err));
        }
      }
    } finally {
      await flipper.terminate();
    }
    await service.close();
    const leaked = receivedBytes().filter((bytes) => bytes.includes(MARKER));
    expect(leaked).toHaveLength(0);
    expect(outcomes.sent).toBe(0);
    expect(outcomes.other).toEqual([]);
  });

  it('never hands back a file read through the link: 400 resolutions', async () => {
    const link = join(music, 'flip2.wav');
    const dangling = join(outside, 'also-missing.wav');
    symlinkSync(dangling, link);
    const flipper = new Worker(
      `const { symlinkSync, renameSync, rmSync } = require('node:fs');
       const { link, targets } = require('node:worker_threads').workerData;
       for (let i = 0; ; i++) {
         const tmp = link + '.tmp';
         rmSync(tmp, { force: true });
         symlinkSync(targets[i % 2], tmp);
         renameSync(tmp, link);
       }`,
      { eval: true, workerData: { link, targets: [secretWav, dangling] } },
    );
    const leaked: string[] = [];
    try {
      for (let i = 0; i < 400; i++) {
        const src = await open(link).catch(() => undefined);
        if (src) {
          const all = await src.handle.read(0, src.size);
          await src.handle.release();
          if (all.includes(MARKER)) leaked.push(src.path);
        }
      }
    } finally {
      await flipper.terminate();
    }
    expect(leaked).toEqual([]);
  });
});

describe('a folder on the path swapped for a link to an outside folder while calls run (finding 3)', () => {
  // Only Linux names an open descriptor's path (/proc/self/fd), which is what catches this swap.
  it.skipIf(process.platform !== 'linux')('never reads the outside file: 1,000 resolutions', async () => {
    // music/sub is in turn a real folder (holding an ordinary recording) and a link to a folder
    // outside holding a recording of the same name with the marker.
    const away = join(outside, 'swapped');
    mkdirSync(away, { recursive: true });
    copyFileSync(secretWav, join(away, 'talk.wav'));
    mkdirSync(join(music, 'sub.d'));
    copyFileSync(fixture('speech-16k-mono.wav'), join(music, 'sub.d', 'talk.wav'));
    symlinkSync(away, join(music, 'sub.l'));
    const flipper = new Worker(
      `const { renameSync } = require('node:fs');
       const { dir } = require('node:worker_threads').workerData;
       const at = (n) => dir + '/' + n;
       for (;;) {
         for (const name of ['sub.d', 'sub.l']) {
           try { renameSync(at(name), at('sub')); renameSync(at('sub'), at(name)); } catch {}
         }
       }`,
      { eval: true, workerData: { dir: music } },
    );
    const outcomes = { inside: 0, refused: 0, leaked: [] as string[] };
    try {
      for (let i = 0; i < 1000; i++) {
        const src = await open(join(music, 'sub', 'talk.wav')).catch(() => undefined);
        if (!src) {
          outcomes.refused++;
          continue;
        }
        const all = await src.handle.read(0, src.size);
        await src.handle.release();
        if (all.includes(MARKER)) outcomes.leaked.push(src.path);
        else outcomes.inside++;
      }
    } finally {
      await flipper.terminate();
    }
    expect(outcomes.leaked).toEqual([]);
  });
});

describe('paths through links: one answer for missing and outside (finding 4)', () => {
  beforeAll(() => {
    symlinkSync(secretWav, join(music, 'to-existing.wav'));
    symlinkSync(join(outside, 'missing.wav'), join(music, 'to-missing.wav'));
    symlinkSync(outside, join(music, 'out-dir'));
    symlinkSync(join(music, 'nothing-here.wav'), join(music, 'dangling-inside.wav'));
    symlinkSync(join(music, 'loop-b.wav'), join(music, 'loop-a.wav'));
    symlinkSync(join(music, 'loop-a.wav'), join(music, 'loop-b.wav'));
  });

  const answer = async (name: string) => {
    const given = join(music, name);
    const err = (await open(given).catch((e: unknown) => e)) as InputError;
    expect(err, name).toBeInstanceOf(InputError);
    return err.message.replace(given, '<given>');
  };

  it('answers a link to an existing outside file and one to a missing file alike, naming no target', async () => {
    const existing = await answer('to-existing.wav');
    expect(existing).toMatch(/^<given> cannot be read: there is no file at that path, or the path goes/);
    expect(existing).not.toContain(outside);
    for (const other of [
      'to-missing.wav',
      'out-dir/secret.wav',
      'out-dir/missing.wav',
      'out-dir/deeper/missing.wav',
      'dangling-inside.wav',
      'loop-a.wav',
    ]) {
      expect(await answer(other), other).toBe(existing);
    }
  });

  it('still says "No file at" for a plain missing file, where no link is involved', async () => {
    expect(await answer('not-there.wav')).toMatch(/^No file at <given>\./);
    expect(await answer('no-dir/not-there.wav')).toMatch(/^No file at <given>\./);
  });

  it('reads through a link that stays inside the folders', async () => {
    symlinkSync(join(music, 'talk.wav'), join(music, 'inside-link.wav'));
    const src = await open(join(music, 'inside-link.wav'));
    expect(src.path).toBe(join(music, 'talk.wav'));
    await src.handle.release();
  });
});

describe('a file that changes after the check (finding 8)', () => {
  const flash = resolveModel('qwen3-asr-flash');
  const filetrans = resolveModel('qwen3-asr-flash-filetrans');
  const copy = (name: string) => {
    const path = join(music, name);
    copyFileSync(fixture('speech-16k-mono.wav'), path);
    return path;
  };
  const send = (src: FileAudio) => {
    const { service } = makeService(testConfig(fake, home));
    return service.api.recognizeSync(flash, { enable_itn: false }, dataUriStream(src));
  };
  const upload = (src: FileAudio) => {
    const config = testConfig(fake, home);
    const { service, logger } = makeService(config);
    const uploader = new TemporaryUploader({
      http: service.api.http,
      nativeBaseUrl: config.nativeBaseUrl,
      headers: () => service.api.headers(),
      logger,
      attempts: 3,
      timeoutMs: config.httpTimeoutMs,
    });
    return uploader.upload(src, filetrans.id);
  };

  it('sends a file deleted after the check: it was already open', async () => {
    const src = await open(copy('vanishing.wav'));
    unlinkSync(src.path);
    const done = await send(src);
    expect(done.parsed.text).toBeTruthy();
    await src.handle.release();
  });

  it('a file that shrank is an InputError naming it, sent at most once (sync and upload)', async () => {
    const src = await open(copy('shrinking.wav'));
    truncateSync(src.path, 1000);
    const before = fake.count('compatible');
    const err = await send(src).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).not.toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toContain(src.path);
    expect(fake.count('compatible') - before).toBeLessThanOrEqual(1);

    const uploads = fake.count('upload');
    const upErr = await upload(src).catch((e: unknown) => e);
    expect(upErr).toBeInstanceOf(InputError);
    expect((upErr as Error).message).toMatch(/changed size while it was being read/);
    expect(fake.count('upload') - uploads).toBeLessThanOrEqual(1);
    await src.handle.release();
  });

  it('a read that fails is an InputError naming the file, not a network error, and is not retried', async () => {
    const src = await open(copy('unreadable.wav'));
    await src.handle.release(); // every read now fails (the descriptor is closed)
    const before = fake.count('compatible');
    const err = await send(src).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(new RegExp(`^Could not read ${src.path}`));
    expect(fake.count('compatible') - before).toBeLessThanOrEqual(1);
    const uploads = fake.count('upload');
    const upErr = await upload(src).catch((e: unknown) => e);
    expect(upErr).toBeInstanceOf(InputError);
    expect(fake.count('upload') - uploads).toBeLessThanOrEqual(1);
  });
});
