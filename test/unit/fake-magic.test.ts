/**
 * The fake's own magic-number table, checked against real recordings. It must stand on its own: the
 * fake exists to catch the client's mistakes, so it cannot borrow the client's sniffer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Container, containerOf } from '../../dev/fake-dashscope/magic.js';
import { FIXTURES, fixture } from '../helpers/env.js';

const EXPECTED: Record<string, Container> = {
  'long-6min-cbr.mp3': 'mp3',
  'long-6min-vbr.mp3': 'mp3',
  'long-6min.ogg': 'opus',
  'speech-16k-mono.wav': 'wav',
  'speech.aac': 'aac',
  'speech.aiff': 'aiff',
  'speech.flac': 'flac',
  'speech.flv': 'flv',
  'speech.m4a': 'm4a',
  'speech.mkv': 'mkv',
  'speech.mov': 'mov',
  'speech.mp3': 'mp3',
  'speech.mp4': 'mp4',
  'speech.ogg': 'ogg',
  'speech.opus': 'opus',
  'speech.webm': 'webm',
  'speech.wma': 'asf',
};

const head = (name: string) => readFileSync(fixture(name)).subarray(0, 4096);

describe("the fake's magic table", () => {
  it('has an expectation for every recording in the fixtures', () => {
    const recordings = readdirSync(FIXTURES).filter((f) => f !== 'README.md');
    expect(recordings.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('recognises %s as %s', (name, container) => {
    expect(containerOf(head(name))).toBe(container);
  });

  it('recognises the containers the fixtures lack, from their documented first bytes', () => {
    const riff = (form: string) => Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from(form)]);
    expect(containerOf(Buffer.from('#!AMR\n\x3c\x91', 'latin1'))).toBe('amr');
    expect(containerOf(riff('AVI LIST'))).toBe('avi');
    expect(containerOf(Buffer.from([0x00, 0x00, 0x01, 0xba, 0x44, 0x00]))).toBe('mpeg');
    const ts = Buffer.alloc(188 * 2);
    ts[0] = 0x47;
    ts[188] = 0x47;
    expect(containerOf(ts)).toBe('mpeg');
  });

  it('refuses a text file, noise that merely starts like a container, and nothing at all', () => {
    expect(
      containerOf(Buffer.from('Meeting notes: budget, hiring, next steps.\n'.repeat(20))),
    ).toBeUndefined();
    expect(containerOf(Buffer.from('RIFF\0\0\0\0TEXT'))).toBeUndefined();
    expect(containerOf(Buffer.from([0xff, 0x00, 0x12]))).toBeUndefined();
    expect(containerOf(Buffer.alloc(0))).toBeUndefined();
  });

  it('still knows a WAV from its first 12 bytes alone', () => {
    expect(containerOf(head('speech-16k-mono.wav').subarray(0, 12))).toBe('wav');
    expect(containerOf(head('speech-16k-mono.wav').subarray(0, 11))).toBeUndefined();
  });
});
