/**
 * Inline audio (a `data:` URI) on its way through: sniffed and measured in memory (audio/inline.ts),
 * served by a sync model with the URI sent as it is, and saved under its summary, never its data.
 * Audio longer than a sync model takes is refused with the ways out (a path or a URL).
 */
import { type InlineAudio, resolveInlineAudio } from '../audio/inline.js';
import { FILETRANS_MODEL, type ModelInfo } from '../dashscope/models.js';
import { InputError } from '../domain/errors.js';
import type { CallContext } from '../domain/progress.js';
import type { TranscribeRequest } from '../domain/request.js';
import type { TranscriptionResult } from '../domain/result.js';
import { formatDuration } from '../util/format.js';
import type { ServiceContext } from './context.js';
import { routeRequest } from './routing.js';
import { transcribeSync } from './sync.js';

const WAYS_OUT =
  'Pass the recording as a local path or an http(s) URL instead (any model, up to 12 h), or send a part of at most 5 minutes.';

export async function transcribeInline(
  ctx: ServiceContext,
  req: TranscribeRequest,
  asked: ModelInfo,
  explicit: boolean,
  call: CallContext,
): Promise<TranscriptionResult> {
  const inline = await resolveInlineAudio(req.audio);
  // Routed like a URL (no path, no upload); the summary stands for the audio in everything saved.
  const source = { kind: 'url' as const, url: inline.uri, name: inline.name };
  const shown = { ...req, audio: inline.summary };
  const { model, warnings } = routeRequest(shown, asked, explicit, source);
  checkInline(inline, model);
  if (inline.duration === undefined) {
    warnings.push(
      `The duration of the inline ${inline.format.label} audio could not be read from its header; it was sent to ${model.id} as it is.`,
    );
  }
  return transcribeSync(ctx, shown, model, source, warnings, call);
}

function checkInline(inline: InlineAudio, model: ModelInfo): void {
  const what = `The inline ${inline.format.label} audio`;
  if (model.mode !== 'sync') {
    throw new InputError(
      `${what} would run on ${model.id}, an async model that reads audio from storage; inline audio runs only on a sync model (qwen3-asr-flash, up to 5 minutes). Nothing was sent.`,
      {
        hint: `Leave out async, timestamps and speaker options for inline audio, or pass a path or URL to use ${FILETRANS_MODEL}.`,
      },
    );
  }
  if (!model.formats.has(inline.format.container)) {
    throw new InputError(`${model.id} does not take ${inline.format.label} audio. Nothing was sent.`, {
      hint: 'Send MP3, WAV, FLAC, Ogg/Opus or WebM, or pass a path or URL.',
    });
  }
  const seconds = inline.duration?.seconds;
  if (seconds !== undefined && seconds > model.maxDurationS) {
    throw new InputError(
      `${what} lasts ${formatDuration(seconds)}, over the ${formatDuration(model.maxDurationS)} that ${model.id} takes inline. Nothing was sent.`,
      { hint: WAYS_OUT },
    );
  }
}
