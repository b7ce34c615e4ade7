/** Routing as a table: request + model asked for + what is known of the audio → model that runs, or refusal. */
import { describe, expect, it } from 'vitest';
import type { AudioSource } from '../../src/audio/source.js';
import { resolveModel } from '../../src/dashscope/models.js';
import { InputError } from '../../src/domain/errors.js';
import type { TranscribeRequest } from '../../src/domain/request.js';
import { type RoutePlan, routeRequest } from '../../src/transcription/routing.js';

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
  plan?: Partial<RoutePlan>;
}

const US: Partial<RoutePlan> = { region: 'us-east-1', upload: 'none' };

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
    name: 'speaker labels with no model go to qwen-audio-3.0-asr-flash-filetrans',
    req: { diarization_enabled: true },
    source: url(),
    expect: 'qwen-audio-3.0-asr-flash-filetrans',
    warning: /Speaker labels/,
  },
  {
    name: 'speaker labels in Singapore go there too',
    req: { speaker_count: 3 },
    source: url(),
    plan: { region: 'ap-southeast-1' },
    expect: 'qwen-audio-3.0-asr-flash-filetrans',
    warning: /Speaker labels/,
  },
  {
    name: 'fun-asr stays available by name for speaker labels',
    req: { diarization_enabled: true },
    model: 'fun-asr',
    source: url(),
    expect: 'fun-asr',
  },
  {
    name: 'speaker labels are refused in us-east-1, naming what it offers',
    req: { diarization_enabled: true },
    source: url(),
    plan: US,
    expect:
      /Speaker labels needs an async model, and region us-east-1 offers only the sync model qwen3-asr-flash-us/,
  },
  {
    name: 'us-east-1: the plain name maps to -us with a warning',
    model: 'qwen3-asr-flash',
    source: url(),
    plan: US,
    expect: 'qwen3-asr-flash-us',
    warning: /us-east-1 names this model qwen3-asr-flash-us/,
  },
  {
    name: 'us-east-1: a dated snapshot maps to its -us name',
    model: 'qwen3-asr-flash-2025-09-08',
    source: url(),
    plan: US,
    expect: 'qwen3-asr-flash-2025-09-08-us',
    warning: /ran as qwen3-asr-flash-2025-09-08-us/,
  },
  {
    name: 'us-east-1: long audio is refused up front',
    model: 'qwen3-asr-flash-us',
    source: file({ seconds: 400 }),
    plan: US,
    expect: /needs an async model, and region us-east-1 offers/,
  },
  {
    name: 'us-east-1: timestamps are refused up front',
    req: { timestamp_granularities: ['word'] },
    model: 'qwen3-asr-flash-us',
    source: url(),
    plan: US,
    expect: /word timestamps needs an async model/,
  },
  {
    name: 'us-east-1: the new models are not offered',
    model: 'qwen-audio-3.1-asr-flash',
    source: url(),
    plan: US,
    expect: /qwen-audio-3.1-asr-flash is not offered in region us-east-1/,
  },
  {
    name: 'paraformer is Beijing-only',
    model: 'paraformer-v2',
    source: url(),
    plan: { region: 'ap-southeast-1' },
    expect: /paraformer-v2 is not offered in region ap-southeast-1/,
  },
  {
    name: 'a local file for an async model with no upload target is refused with the ways out',
    req: { timestamp_granularities: ['sentence'] },
    source: file({ seconds: 30 }),
    plan: { region: 'ap-southeast-1', upload: 'none' },
    expect: /no temporary upload[\s\S]*ASR_BUCKET[\s\S]*public[\s\S]*fits the sync model/,
  },
  {
    name: 'a long local file with no upload target gets the ways out without the sync one',
    source: file({ seconds: 600 }),
    plan: { region: 'ap-southeast-1', upload: 'none' },
    expect: /^(?![\s\S]*fits the sync model)[\s\S]*no temporary upload[\s\S]*public/,
  },
  {
    name: 'a local file with a bucket configured may go async anywhere it is offered',
    req: { timestamp_granularities: ['sentence'] },
    source: file({ seconds: 30 }),
    plan: { region: 'ap-southeast-1', upload: 'bucket' },
    expect: 'qwen3-asr-flash-filetrans',
    warning: /no timestamps/,
  },
  {
    name: 'a URL needs no upload target',
    req: { async: true },
    source: url(),
    plan: { region: 'ap-southeast-1', upload: 'none' },
    expect: 'qwen3-asr-flash-filetrans',
    warning: /async: true/,
  },
  {
    name: 'the 3.x sync model keeps timestamp requests (they are always on)',
    req: { timestamp_granularities: ['word'] },
    model: 'qwen-audio-3.1-asr-flash',
    source: url(),
    expect: 'qwen-audio-3.1-asr-flash',
  },
  {
    name: 'async: true on a 3.x sync model goes to its filetrans twin',
    req: { async: true },
    model: 'qwen-audio-3.0-asr-flash',
    source: url(),
    expect: 'qwen-audio-3.0-asr-flash-filetrans',
    warning: /counterpart qwen-audio-3.0-asr-flash-filetrans/,
  },
  {
    name: 'an explicit 3.x sync model with long audio names its filetrans twin',
    model: 'qwen-audio-3.1-asr-flash',
    source: file({ seconds: 400 }),
    expect: /cannot go to qwen-audio-3.1-asr-flash/,
  },
  {
    name: 'fun-asr-flash is a known sync model',
    model: 'fun-asr-flash-2026-06-15',
    source: url(),
    expect: 'fun-asr-flash-2026-06-15',
  },
  {
    name: 'an unlisted name of a known family passes with a warning (sync)',
    model: 'qwen-audio-3.2-asr-flash',
    source: url(),
    expect: 'qwen-audio-3.2-asr-flash',
    warning: /not in this server's model table; it was sent as a audio3-sync model \(sync\)/,
  },
  {
    name: 'an unlisted filetrans name passes as async',
    model: 'qwen-audio-3.2-asr-flash-filetrans',
    source: url(),
    expect: 'qwen-audio-3.2-asr-flash-filetrans',
    warning: /audio3-filetrans model \(async\)/,
  },
  {
    name: 'us-east-1 refuses an unlisted name of another family',
    model: 'qwen-audio-3.2-asr-flash',
    source: url(),
    plan: US,
    expect: /not offered in region us-east-1/,
  },
  {
    name: 'an unlisted paraformer snapshot passes as the file-transcription family',
    model: 'paraformer-v3',
    source: url(),
    expect: 'paraformer-v3',
    warning: /file-transcription model \(async\)/,
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
      const plan = { region: 'cn-beijing', upload: 'temporary', ...row.plan } as RoutePlan;
      const run = () => routeRequest(req, asked, row.model !== undefined, row.source, plan);
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

describe('resolveModel refuses what is not for file transcription', () => {
  for (const id of [
    'qwen-audio-3.1-asr-flash-message',
    'fun-asr-realtime',
    'paraformer-realtime-v2',
    'qwen3-asr-flash-streaming',
    'whisper-1',
  ]) {
    it(id, () => {
      expect(() => resolveModel(id)).toThrow(/Unknown model/);
    });
  }
  it('names the WebSocket-only variants', () => {
    expect(() => resolveModel('qwen-audio-3.1-asr-flash-message')).toThrow(/WebSocket-only/);
  });
});
