/** Routing as a table: request + model asked for + what is known of the audio → model that runs, or refusal. */
import { describe, expect, it } from 'vitest';
import type { AudioSource } from '../../src/audio/source.js';
import { resolveModel } from '../../src/dashscope/models.js';
import { InputError } from '../../src/domain/errors.js';
import type { TranscribeRequest } from '../../src/domain/request.js';
import { routeRequest } from '../../src/transcription/routing.js';

const url = (u = 'https://example.com/a.mp3'): AudioSource => ({ kind: 'url', url: u, name: 'a.mp3' });
const file = (
  opts: { container?: string; mime?: string; size?: number; seconds?: number } = {},
): AudioSource => ({
  kind: 'file',
  path: '/rec/a.x',
  name: 'a.x',
  size: opts.size ?? 100_000,
  format: {
    container: (opts.container ?? 'mp3') as never,
    mime: opts.mime ?? 'audio/mpeg',
    label: (opts.container ?? 'mp3').toUpperCase(),
  },
  duration: opts.seconds === undefined ? undefined : { seconds: opts.seconds, estimated: false },
  handle: undefined as never, // routing never reads the file
});

interface Row {
  name: string;
  req?: Partial<TranscribeRequest>;
  model?: string;
  source: AudioSource;
  /** The model that runs, or the refusal's words. */
  expect: string | RegExp;
  warning?: RegExp;
}

const ROWS: Row[] = [
  { name: 'a short URL stays on the sync default', source: url(), expect: 'qwen3-asr-flash' },
  { name: 'a short local file stays sync', source: file({ seconds: 30 }), expect: 'qwen3-asr-flash' },
  {
    name: 'a local file over 5 min goes to filetrans',
    source: file({ seconds: 361 }),
    expect: 'qwen3-asr-flash-filetrans',
    warning: /6 min 01 s, over the qwen3-asr-flash limit of 5 min 00 s/,
  },
  {
    name: 'a file whose data URI passes 10 MB goes to filetrans',
    source: file({ size: 8_000_000, seconds: 60 }),
    expect: 'qwen3-asr-flash-filetrans',
    warning: /data URI would be 10\.2 MB/,
  },
  {
    name: 'an M4A file (filetrans only) goes there',
    source: file({ container: 'mp4', mime: 'audio/mp4', seconds: 5 }),
    expect: 'qwen3-asr-flash-filetrans',
    warning: /taken only by qwen3-asr-flash-filetrans/,
  },
  {
    name: 'timestamps go to filetrans',
    req: { timestamp_granularities: ['sentence'] },
    source: url(),
    expect: 'qwen3-asr-flash-filetrans',
    warning: /no timestamps/,
  },
  {
    name: 'async: true with a sync model uses filetrans',
    req: { async: true },
    source: url(),
    expect: 'qwen3-asr-flash-filetrans',
    warning: /async: true/,
  },
  {
    name: 'speaker labels with no model go to fun-asr',
    req: { diarization_enabled: true },
    source: url(),
    expect: 'fun-asr',
    warning: /Speaker labels/,
  },
  {
    name: 'async: false with an async model is reported and ignored',
    req: { async: false },
    model: 'paraformer-v2',
    source: url(),
    expect: 'paraformer-v2',
    warning: /async: false was ignored/,
  },
  {
    name: 'an unknown duration is sent by size, with a warning',
    source: file({}),
    expect: 'qwen3-asr-flash',
    warning: /could not be read from its header/,
  },
  {
    name: 'an explicit sync model with long audio is refused with the right one named',
    model: 'qwen3-asr-flash',
    source: file({ seconds: 400 }),
    expect: /cannot go to qwen3-asr-flash.*6 min 40 s/,
  },
  {
    name: 'an oss:// key on a sync model is refused',
    source: url('oss://dashscope-instant/x/a.mp3'),
    expect: /oss:\/\/ URLs are temporary-upload keys/,
  },
  {
    name: 'an explicit filetrans model refuses an AIFF file, naming the sync one',
    model: 'qwen3-asr-flash-filetrans',
    source: file({ container: 'aiff', mime: 'audio/aiff', seconds: 5 }),
    expect: /does not take AIFF files.*Use model qwen3-asr-flash/,
  },
];

describe('routeRequest', () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const asked = resolveModel(row.model);
      const req = { audio: 'x', ...row.req } as TranscribeRequest;
      const run = () => routeRequest(req, asked, row.model !== undefined, row.source);
      if (typeof row.expect === 'string') {
        const decision = run();
        expect(decision.model.id).toBe(row.expect);
        if (row.warning) expect(decision.warnings.join('\n')).toMatch(row.warning);
        else expect(decision.warnings).toEqual([]);
      } else {
        expect(run).toThrow(InputError);
        expect(run).toThrow(row.expect);
      }
    });
  }
});
