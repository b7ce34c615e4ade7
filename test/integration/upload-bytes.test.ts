/**
 * The temporary upload sends the file's own bytes, in order, even though it reads them into three
 * reused buffers: a buffer refilled while undici still held it would show here as corrupted bytes.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { tempDir, testConfig } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';

const SIZE = 7 * 1024 * 1024 + 12_345; // seven full reads and a short last one
const fake = new FakeDashScope({ runMs: 20, keepUploadBytes: SIZE + 1024 });
const home = tempDir();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

it('uploads every byte of a 7 MB file exactly, through reused read buffers', async () => {
  const file = join(home, 'noise.wav');
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(SIZE - 8, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16000, 24);
  header.writeUInt32LE(32000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(SIZE - 44, 40);
  const bytes = Buffer.concat([header, randomBytes(SIZE - 44)]);
  writeFileSync(file, bytes);
  const { service } = makeService(testConfig(fake, home));
  const result = await service.transcribe({ audio: file, async: true });
  expect(result.status).toBe('SUCCEEDED');
  const [upload] = [...fake.uploads.values()];
  expect(upload!.size).toBe(SIZE);
  expect(upload!.head.equals(bytes)).toBe(true);
});
