/** Synthetic WAV files (16 kHz mono 16-bit) for tests and benchmarks, of any length. */
import { closeSync, openSync, writeSync } from 'node:fs';

const BYTES_PER_SECOND = 32000;

function header(dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(16000, 24);
  h.writeUInt32LE(BYTES_PER_SECOND, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/**
 * Writes a WAV of `totalBytes` (header included). Sparse: only the header is real and the file takes
 * no disk space, however large. Otherwise: a low sine, so the bytes are not all zeros.
 */
export function writeWav(path: string, totalBytes: number, opts: { sparse: boolean }): number {
  const dataBytes = totalBytes - 44;
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header(dataBytes));
    if (opts.sparse) {
      writeSync(fd, Buffer.alloc(1), 0, 1, 44 + dataBytes - 1);
    } else {
      const chunk = Buffer.alloc(1 << 20);
      for (let i = 0; i < chunk.length / 2; i++)
        chunk.writeInt16LE(Math.round(3000 * Math.sin(i / 20)), i * 2);
      for (let left = dataBytes; left > 0; left -= chunk.length)
        writeSync(fd, chunk, 0, Math.min(left, chunk.length));
    }
  } finally {
    closeSync(fd);
  }
  return totalBytes;
}

/** A sparse WAV lasting `seconds`; returns its size in bytes. */
export function sparseWav(path: string, seconds: number): number {
  return writeWav(path, 44 + Math.round(seconds * BYTES_PER_SECOND), { sparse: true });
}
