/**
 * The sampling rate written in a file's header, for the models that ask for it (Qwen-Audio 3.x and
 * Fun-ASR-Flash send `parameters.sample_rate`). WAV, FLAC and MP3 only: elsewhere it stays unknown and
 * is not sent.
 */
import { open } from 'node:fs/promises';
import type { Container } from './sniff.js';

const MP3_RATES: Record<number, number[]> = {
  3: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  0: [11025, 12000, 8000],
};

/** From the first bytes of the file (64 KiB are enough for these headers). */
function sampleRateFromHead(head: Buffer, container: Container): number | undefined {
  if (container === 'wav') {
    for (let pos = 12; pos + 16 <= head.length; ) {
      const id = head.toString('latin1', pos, pos + 4);
      if (id === 'fmt ') return head.readUInt32LE(pos + 12) || undefined;
      pos += 8 + head.readUInt32LE(pos + 4) + (head.readUInt32LE(pos + 4) % 2);
    }
    return undefined;
  }
  if (container === 'flac') {
    // fLaC, then the STREAMINFO block: the rate is 20 bits at byte 10 of its body.
    if (head.length < 8 + 4 + 13 || head.toString('latin1', 0, 4) !== 'fLaC') return undefined;
    const at = 8 + 10;
    return (head[at]! << 12) | (head[at + 1]! << 4) | (head[at + 2]! >> 4) || undefined;
  }
  if (container === 'mp3') {
    let pos = 0;
    if (head.toString('latin1', 0, 3) === 'ID3' && head.length >= 10) {
      pos =
        10 +
        (((head[6]! & 0x7f) << 21) |
          ((head[7]! & 0x7f) << 14) |
          ((head[8]! & 0x7f) << 7) |
          (head[9]! & 0x7f));
    }
    for (; pos + 4 <= head.length; pos++) {
      if (head[pos] !== 0xff || (head[pos + 1]! & 0xe0) !== 0xe0) continue;
      const version = (head[pos + 1]! >> 3) & 3;
      const rate = MP3_RATES[version]?.[(head[pos + 2]! >> 2) & 3];
      if (rate) return rate;
    }
  }
  return undefined;
}

export async function readSampleRate(path: string, container: Container): Promise<number | undefined> {
  if (container !== 'wav' && container !== 'flac' && container !== 'mp3') return undefined;
  try {
    const handle = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
      return sampleRateFromHead(buffer.subarray(0, bytesRead), container);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}
