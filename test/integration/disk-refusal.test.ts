/**
 * Issue #13, finding 1: OUTPUT_DIR on a full or read-only volume. Nothing is lost (the transcript is
 * kept in memory under a transcript_id and readable through the store), nothing is claimed that is not
 * so (no `files`), and the cause is named as the system named it (ENOSPC, EROFS, never ENOENT for a
 * directory that exists). Real small tmpfs volumes, mounted here: we run as root in CI and locally.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { OutputDirs } from '../../src/store/paths.js';
import { captureLogger, testConfig } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';

/** System commands (mount, umount), run without a shell. */
const run = (command: string, args: string[], opts: { stdio: 'ignore' }) => execFileSync(command, args, opts);
const root = mkdtempSync(join(tmpdir(), 'qwen-asr-disk-'));
const mounted: string[] = [];

function mountTmpfs(dir: string, size: string): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'ignore' });
    mounted.push(dir);
    return true;
  } catch {
    return false;
  }
}

function readOnly(dir: string): void {
  run('mount', ['-o', 'remount,ro', dir], { stdio: 'ignore' });
}

/** Whether this process may mount a tmpfs (root, or a container with CAP_SYS_ADMIN). */
const canMount = (() => {
  const probe = join(root, 'probe');
  if (!mountTmpfs(probe, '16k')) return false;
  try {
    readOnly(probe);
    return true;
  } catch {
    return false;
  }
})();
/** Test titles carry the reason when the volume tests cannot run here. */
const title = (t: string) =>
  canMount ? t : `${t} [skipped: mounting a tmpfs needs root or CAP_SYS_ADMIN, not available here]`;

const fake = new FakeDashScope({ runMs: 20 });
beforeAll(() => fake.start());
afterAll(async () => {
  await fake.stop();
  for (const dir of mounted.reverse()) {
    try {
      run('umount', ['-l', dir], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  rmSync(root, { recursive: true, force: true });
});

/** About 120 KB of text: larger than the 64 KB volume, so a save cannot fit. */
const LONG_TEXT = Array.from(
  { length: 3000 },
  (_, i) => `Sentence number ${i} of a long and expensive recording.`,
).join(' ');

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('a full disk (ENOSPC)', () => {
  it.skipIf(!canMount)(
    title(
      'keeps a sync transcript (no task id to fetch it again) in memory, names ENOSPC and the path, leaves no files',
    ),
    async () => {
      const full = join(root, 'full');
      expect(mountTmpfs(full, '64k')).toBe(true);
      const home = join(root, 'home-full');
      const { service, transcripts } = makeService(
        testConfig(fake, home, { OUTPUT_DIR: full, XDG_DATA_HOME: join(home, 'xdg') }),
      );
      const url = fake.addMedia('long-talk.mp3', { durationS: 240, text: LONG_TEXT });
      const result = await service.transcribe({ audio: url });

      expect(result.task_id).toBeNull();
      expect(result.text).toBe(LONG_TEXT);
      expect(result.storage).toBe('memory');
      expect(result.files).toBeUndefined();
      expect(result.transcript_id).toMatch(/^\d{8}-\d{6}-long-talk-[0-9a-f]{6}$/);
      const warning = result.warnings.find((w) => w.startsWith('Not saved to disk:'));
      expect(warning).toBeDefined();
      expect(warning).toContain('ENOSPC');
      // The file that could not be written, named by the same id the transcript is kept under.
      expect(warning).toContain(`: ${join(full, 'ai-audio-asr', 'transcripts', result.transcript_id!)}.txt;`);
      expect(warning).toContain(`transcript://${result.transcript_id}`);
      expect(warning).toMatch(/until the server restarts/);
      expect(result.warnings.join(' ')).not.toMatch(/whole transcript is in the saved files/);

      // Readers find the whole transcript by its id.
      const id = result.transcript_id!;
      const loaded = await transcripts.load(id);
      expect(loaded?.text).toBe(LONG_TEXT);
      expect(loaded?.storage).toBe('memory');
      expect(await transcripts.loadText(id)).toBe(`${LONG_TEXT}\n`);
      expect(await transcripts.list()).toContain(id);

      // Nothing half-written stays on the volume: no .txt, no 0-byte files, no temporary files.
      expect(filesUnder(join(full, 'ai-audio-asr', 'transcripts'))).toEqual([]);

      // A transcript whose .txt fits but whose .json does not: the .txt is removed with the set.
      const middle = LONG_TEXT.slice(0, 40_000);
      const second = await service.transcribe({
        audio: fake.addMedia('middle.mp3', { durationS: 200, text: middle }),
      });
      expect(second.storage).toBe('memory');
      expect(second.warnings.at(-1)).toMatch(/^Not saved to disk: ENOSPC, .*\.json; no files were written/);
      expect(filesUnder(join(full, 'ai-audio-asr', 'transcripts'))).toEqual([]);
      expect((await transcripts.load(second.transcript_id!))?.text).toBe(middle);
      expect(await transcripts.list()).toEqual([second.transcript_id, id].sort().reverse());
    },
  );
});

describe('a read-only volume (EROFS)', () => {
  it.skipIf(!canMount)(
    title('names EROFS, not ENOENT, for a missing and for an existing OUTPUT_DIR, and falls back'),
    async () => {
      const ro = join(root, 'ro-fallback');
      expect(mountTmpfs(ro, '64k')).toBe(true);
      mkdirSync(join(ro, 'existing'));
      readOnly(ro);
      for (const outputDir of [join(ro, 'missing', 'deeper'), join(ro, 'existing')]) {
        const home = mkdtempSync(join(root, 'home-'));
        const dirs = new OutputDirs(outputDir, { XDG_DATA_HOME: join(home, 'xdg') }, home, captureLogger());
        const location = dirs.get();
        expect(location.root).toBe(join(home, 'xdg', 'qwen-asr-mcp'));
        expect(location.fallbackReason).toContain('EROFS');
        expect(location.fallbackReason).not.toContain('ENOENT');
        expect(location.fallbackReason).toContain(outputDir);
      }
    },
  );

  it.skipIf(!canMount)(
    title('keeps an async transcript in memory when neither OUTPUT_DIR nor the fallback is writable'),
    async () => {
      const ro = join(root, 'ro-both');
      expect(mountTmpfs(ro, '64k')).toBe(true);
      readOnly(ro);
      const home = join(root, 'home-ro');
      const { service, transcripts } = makeService(
        testConfig(fake, home, { OUTPUT_DIR: join(ro, 'out'), XDG_DATA_HOME: join(ro, 'xdg') }),
      );
      const url = fake.addMedia('long-meeting.mp3', { durationS: 1800, text: LONG_TEXT });
      const result = await service.transcribe({ audio: url, model: 'qwen3-asr-flash-filetrans' });

      expect(result.status).toBe('SUCCEEDED');
      expect(result.storage).toBe('memory');
      expect(result.files).toBeUndefined();
      const warning = result.warnings.find((w) => w.startsWith('Not saved to disk:'));
      expect(warning).toContain('EROFS');
      expect(warning).not.toContain('ENOENT');
      expect(warning).toContain(join(ro, 'out'));
      const loaded = await transcripts.load(result.transcript_id!);
      expect(loaded?.text).toBe(result.text);
      expect(loaded?.text.length).toBeGreaterThan(100_000);
      expect(await transcripts.list()).toEqual([result.transcript_id]);

      // asr_task_status in the same process answers from memory as well.
      const again = await service.taskStatus({ task_id: result.task_id! });
      expect(again.text).toBe(result.text);
    },
  );
});

/**
 * Why OutputDirs refuses `outputDir` (with an unusable fallback), or where it settled. Root ignores
 * permission bits, so as root this runs in a child process as `nobody`.
 */
function outputDirVerdict(outputDir: string, fallbackHome: string): string {
  const script = `
    import { OutputDirs } from ${JSON.stringify(join(import.meta.dirname, '../../src/store/paths.ts'))};
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const dirs = new OutputDirs(process.argv[1], { XDG_DATA_HOME: process.argv[2] }, '/nonexistent', quiet);
    try { console.log('settled in ' + dirs.get().root); } catch (e) { console.log(e.message); }`;
  const asRoot = process.getuid?.() === 0;
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script, outputDir, fallbackHome],
    {
      encoding: 'utf8',
      cwd: join(import.meta.dirname, '../..'),
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    },
  );
  if (child.status !== 0) throw new Error(`verdict child failed: ${child.stderr}`);
  return child.stdout.trim();
}

describe('a directory without write permission (EACCES)', () => {
  it.skipIf(process.platform === 'win32')(
    'names EACCES and the directory, for a missing OUTPUT_DIR under a locked parent and for a locked existing one',
    () => {
      const base = join(root, 'perm');
      mkdirSync(join(base, 'existing', 'ai-audio-asr', 'transcripts'), { recursive: true });
      mkdirSync(join(base, 'existing', 'ai-audio-asr', 'tasks'));
      mkdirSync(join(base, 'locked-fallback'));
      chmodSync(root, 0o755);
      chmodSync(base, 0o555);
      for (const d of [
        'existing',
        'existing/ai-audio-asr',
        'existing/ai-audio-asr/transcripts',
        'existing/ai-audio-asr/tasks',
        'locked-fallback',
      ])
        chmodSync(join(base, d), 0o555);
      try {
        const fallback = join(base, 'locked-fallback');
        const missing = outputDirVerdict(join(base, 'new-out'), fallback);
        expect(missing).toMatch(/^no writable output directory: /);
        expect(missing).toContain(`(EACCES, permission denied: ${join(base, 'new-out')})`);
        expect(missing).not.toContain('ENOENT');
        const existing = outputDirVerdict(join(base, 'existing'), fallback);
        expect(existing).toContain(
          `(EACCES, permission denied: ${join(base, 'existing', 'ai-audio-asr', 'transcripts')})`,
        );
      } finally {
        chmodSync(base, 0o755);
        for (const d of [
          'existing',
          'existing/ai-audio-asr',
          'existing/ai-audio-asr/transcripts',
          'existing/ai-audio-asr/tasks',
          'locked-fallback',
        ])
          chmodSync(join(base, d), 0o755);
      }
    },
  );
});
