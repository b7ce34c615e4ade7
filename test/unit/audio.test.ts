import { readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferByteSource, fileByteSource, readDuration } from '../../src/audio/duration.js';
import { sniff } from '../../src/audio/sniff.js';
import { buildDataUri, dataUriLength, resolveAudio } from '../../src/audio/source.js';
import { InputError } from '../../src/domain/errors.js';
import { fixture, tempDir } from '../helpers/env.js';

// Durations as ffprobe reads them (fixtures README). Opus and AAC differ by their encoder delay.
const CASES: [string, string, string, number, number][] = [
  ['speech-16k-mono.wav', 'wav', 'audio/wav', 5.7285, 0.005],
  ['speech.aiff', 'aiff', 'audio/aiff', 5.7285, 0.005],
  ['speech.flac', 'flac', 'audio/flac', 5.7285, 0.005],
  ['speech.mp3', 'mp3', 'audio/mpeg', 5.832, 0.005],
  ['long-6min-cbr.mp3', 'mp3', 'audio/mpeg', 361.152, 0.01],
  ['long-6min-vbr.mp3', 'mp3', 'audio/mpeg', 361.152, 0.01],
  ['speech.ogg', 'ogg', 'audio/ogg', 5.7285, 0.005],
  ['speech.opus', 'opus', 'audio/opus', 5.735, 0.01],
  ['long-6min.ogg', 'opus', 'audio/opus', 361.0065, 0.01],
  ['speech.m4a', 'm4a', 'audio/mp4', 5.729, 0.005],
  ['speech.mp4', 'mp4', 'video/mp4', 5.729, 0.005],
  ['speech.mov', 'mov', 'video/quicktime', 5.729, 0.005],
  ['speech.webm', 'webm', 'audio/webm', 5.736, 0.005],
  ['speech.mkv', 'mkv', 'video/x-matroska', 5.736, 0.005],
  ['speech.wma', 'wma', 'audio/x-ms-wma', 5.76, 0.005],
  ['speech.flv', 'flv', 'video/x-flv', 5.779, 0.005],
  ['speech.aac', 'aac', 'audio/aac', 5.7496, 0.1],
];

describe('sniffing and duration', () => {
  for (const [name, container, mime, seconds, tolerance] of CASES) {
    it(`${name}: ${container}, ${mime}, ${seconds} s`, async () => {
      const handle = await open(fixture(name));
      try {
        const size = (await handle.stat()).size;
        const src = fileByteSource(handle, size);
        const found = sniff(await src.read(0, 4096), name);
        expect(found?.container).toBe(container);
        expect(found?.mime).toBe(mime);
        const d = await readDuration(src, found!.container);
        expect(d?.seconds).toBeGreaterThan(seconds - tolerance);
        expect(d?.seconds).toBeLessThan(seconds + tolerance);
      } finally {
        await handle.close();
      }
    });
  }

  it('recognizes AMR by its magic and counts its 20 ms frames', async () => {
    // 50 frames of mode 7 (12.2 kbit/s): header byte 0x3c, 32 bytes per frame → 1.0 s.
    const frame = Buffer.alloc(32);
    frame[0] = 0x3c;
    const amr = Buffer.concat([Buffer.from('#!AMR\n'), ...Array.from({ length: 50 }, () => frame)]);
    expect(sniff(amr)?.container).toBe('amr');
    expect((await readDuration(bufferByteSource(amr), 'amr'))?.seconds).toBeCloseTo(1.0, 5);
  });

  it('estimates a CBR MP3 without a Xing/Info header from its bitrate', async () => {
    const mp3 = readFileSync(fixture('long-6min-cbr.mp3'));
    // Blank out the "Info" tag so only the CBR estimate remains.
    const at = mp3.indexOf('Info');
    const stripped = Buffer.from(mp3);
    stripped.write('XXXX', at, 'latin1');
    const d = await readDuration(bufferByteSource(stripped), 'mp3');
    expect(d?.estimated).toBe(true);
    expect(d?.seconds).toBeGreaterThan(361.152 * 0.99);
    expect(d?.seconds).toBeLessThan(361.152 * 1.01);
  });

  it('refuses what is not audio', () => {
    expect(sniff(Buffer.from('hello world, this is text\n'))).toBeUndefined();
    expect(sniff(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'))).toBeUndefined();
    expect(sniff(Buffer.from('%PDF-1.7\n'))).toBeUndefined();
    expect(sniff(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBeUndefined();
  });
});

describe('resolveAudio', () => {
  const dir = tempDir();
  const opts = { home: dir, cwd: dir };

  it('passes URLs through and names them', async () => {
    const src = await resolveAudio('https://example.test/a/b/talk.mp3?sig=1', opts);
    expect(src).toMatchObject({
      kind: 'url',
      url: 'https://example.test/a/b/talk.mp3?sig=1',
      name: 'talk.mp3',
    });
  });

  it('reads a local file: ~, relative and file:// paths', async () => {
    writeFileSync(join(dir, 'clip.wav'), readFileSync(fixture('speech-16k-mono.wav')));
    for (const given of ['~/clip.wav', 'clip.wav', `file://${join(dir, 'clip.wav')}`]) {
      const src = await resolveAudio(given, opts);
      expect(src.kind).toBe('file');
      if (src.kind === 'file') {
        expect(src.path).toBe(join(dir, 'clip.wav'));
        expect(src.format.container).toBe('wav');
        expect(src.duration?.seconds).toBeCloseTo(5.7285, 3);
        await src.handle.release();
      }
    }
  });

  it('names a missing file and explains relative paths', async () => {
    const err = await resolveAudio('nope/missing.mp3', opts).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain(join(dir, 'nope/missing.mp3'));
    expect(err.message).toContain('working directory');
  });

  it('refuses a non-audio file, saying what it is', async () => {
    writeFileSync(join(dir, 'notes.mp3'), 'these are my meeting notes\n');
    const err = await resolveAudio(join(dir, 'notes.mp3'), opts).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/is a text file, not an audio or video file\. Nothing was sent/);
  });

  it('refuses directories, empty files, data URIs and odd schemes', async () => {
    writeFileSync(join(dir, 'empty.wav'), '');
    await expect(resolveAudio(dir, opts)).rejects.toThrow(/is a directory/);
    await expect(resolveAudio(join(dir, 'empty.wav'), opts)).rejects.toThrow(/is empty/);
    await expect(resolveAudio('data:audio/wav;base64,AAAA', opts)).rejects.toThrow(/data URI/);
    await expect(resolveAudio('ftp://host/a.mp3', opts)).rejects.toThrow(/unsupported scheme/);
  });

  it('builds the data URI chunk by chunk, equal to a one-shot encoding', async () => {
    // Odd size so the 3-byte grouping crosses chunk boundaries.
    const big = Buffer.alloc(3 * 64 * 1024 * 2 + 7);
    readFileSync(fixture('speech-16k-mono.wav')).copy(big);
    for (let i = 183356; i < big.length; i++) big[i] = (i * 31) & 0xff;
    writeFileSync(join(dir, 'big.wav'), big);
    const src = await resolveAudio(join(dir, 'big.wav'), opts);
    if (src.kind !== 'file') throw new Error('expected a file');
    const uri = await buildDataUri(src);
    expect(uri.length).toBe(dataUriLength(big.length, 'audio/wav'));
    expect(uri.toString('latin1')).toBe(`data:audio/wav;base64,${big.toString('base64')}`);
    // A second read (a retried request) starts again from byte 0.
    expect((await buildDataUri(src)).equals(uri)).toBe(true);
    await src.handle.release();
  });
});
