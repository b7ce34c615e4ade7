/**
 * Runs one client-compatibility script (test/external/clients/*.mjs) on Node 22 against the built
 * server and the local fake DashScope, and returns the JSON line of findings it prints.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// The one place that knows where the fake lives.
import { DEFAULT_TEXT, FAKE_API_KEY, FakeDashScope } from '../../../dev/fake-dashscope/server.js';
import { EXTERNAL, NODE22 } from '../../helpers/external.js';

export { DEFAULT_TEXT, FAKE_API_KEY, FakeDashScope };

export const REPO = resolve(import.meta.dirname, '..', '..', '..');
export { EXTERNAL, NODE22 };
/** The built server; COMPAT_SERVER_ENTRY points the checks at another build. */
export const SERVER_ENTRY = resolve(process.env.COMPAT_SERVER_ENTRY ?? join(REPO, 'dist', 'index.js'));
const SPEECH = join(REPO, 'test', 'fixtures', 'audio', 'speech.flac');

/** What each script prints: `client`, then its own findings; `fatal` when it could not run at all. */
export interface Findings {
  client: string;
  fatal?: string;
  blockedHosts: string[];
  [key: string]: unknown;
}

export interface ClientRun {
  findings: Findings;
  stderr: string;
  ms: number;
}

/** Runs `clients/<name>.mjs` with a fresh temp dir (a copy of speech.flac, the output dir). */
export async function runClient(fake: FakeDashScope, name: string): Promise<ClientRun> {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run npm run build first`);
  const home = mkdtempSync(join(tmpdir(), `qwen-asr-compat-${name}-`));
  const audio = join(home, 'speech.flac');
  copyFileSync(SPEECH, audio);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    ...fake.env({ OUTPUT_DIR: join(home, 'out'), ASR_ALLOWED_DIRS: home }),
    SERVER_ENTRY,
    AUDIO_FILE: audio,
    EXPECTED_TEXT: DEFAULT_TEXT,
  };
  const started = Date.now();
  try {
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((done, fail) => {
      execFile(
        NODE22,
        [join(EXTERNAL, 'clients', `${name}.mjs`)],
        { env, cwd: home, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
        (err, out, errOut) =>
          err
            ? fail(
                new Error(
                  `${name}.mjs failed: ${err.message}\nstdout: ${out}\nstderr: ${errOut.slice(-4000)}`,
                ),
              )
            : done({ stdout: out, stderr: errOut }),
      );
    });
    const line = stdout.trim().split('\n').at(-1) ?? '';
    let findings: Findings;
    try {
      findings = JSON.parse(line) as Findings;
    } catch {
      throw new Error(`${name}.mjs printed no JSON line.\nstdout: ${stdout}\nstderr: ${stderr}`);
    }
    const ms = Date.now() - started;
    // COMPAT_FINDINGS=<file> keeps every client's findings (one JSON line each) for a report.
    if (process.env.COMPAT_FINDINGS)
      appendFileSync(process.env.COMPAT_FINDINGS, `${JSON.stringify({ ...findings, ms })}\n`);
    return { findings, stderr, ms };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
