/**
 * Issue #13, finding 1, end to end: the built server with OUTPUT_DIR on a full 64 KB volume. A long
 * transcript still comes back as a tool result with a transcript_id kept in memory (`storage: memory`,
 * no files, a warning that says so) and stays readable as a transcript:// resource.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { connect, type Session, type ToolResult } from '../helpers/mcp.js';

/** System commands (mount, umount), run without a shell. */
const run = (command: string, args: string[], opts: { stdio: 'ignore' }) => execFileSync(command, args, opts);
const root = mkdtempSync(join(tmpdir(), 'qwen-asr-e2e-full-'));
const volume = join(root, 'volume');
const canMount = (() => {
  mkdirSync(volume);
  try {
    run('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', volume], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const fake = new FakeDashScope({ runMs: 20 });
let session: Session | undefined;

beforeAll(async () => {
  await fake.start();
  if (!canMount) return;
  session = await connect(
    fake.env({
      HOME: root,
      OUTPUT_DIR: volume,
      XDG_DATA_HOME: join(root, 'xdg'),
      ASR_POLL_INTERVAL_MS: '20',
      ASR_POLL_MAX_INTERVAL_MS: '50',
    }),
  );
});
afterAll(async () => {
  await session?.close();
  await fake.stop();
  if (canMount) run('umount', ['-l', volume], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
});

const LONG_TEXT = Array.from(
  { length: 3000 },
  (_, i) => `Sentence number ${i} of a long and expensive recording.`,
).join(' ');

describe('OUTPUT_DIR on a full volume', () => {
  it.skipIf(!canMount)(
    canMount
      ? 'returns the transcript with a transcript_id kept in memory and serves it as a resource'
      : 'returns the transcript kept in memory [skipped: mounting a tmpfs needs root or CAP_SYS_ADMIN]',
    async () => {
      // As clients do: the tool list first, so the client checks the result against the output schema.
      await session!.client.listTools();
      const url = fake.addMedia('long-talk.mp3', { durationS: 240, text: LONG_TEXT });
      const result = (await session!.client.callTool({
        name: 'asr_transcribe',
        arguments: { audio: url },
      })) as ToolResult;
      expect(result.isError, JSON.stringify(result.content).slice(0, 500)).toBeFalsy();
      const structured = result.structuredContent!;
      expect(structured.storage).toBe('memory');
      expect(structured.files).toBeUndefined();
      const id = structured.transcript_id as string;
      expect(id).toMatch(/-long-talk-[0-9a-f]{6}$/);
      const warnings = structured.warnings as string[];
      expect(warnings.find((w) => w.startsWith('Not saved to disk:'))).toMatch(/ENOSPC/);
      expect(JSON.stringify(result.content)).not.toMatch(/saved files|file:\/\//);

      const read = await session!.client.readResource({ uri: `transcript://${id}` });
      expect(JSON.stringify(read.contents)).toContain('Sentence number 0 of a long and expensive recording.');
      expect(readdirSync(join(volume, 'ai-audio-asr', 'transcripts'))).toEqual([]);
    },
  );
});
