/**
 * Inline audio (a `data:` URI) on its way through: sniffed and measured in memory (audio/inline.ts),
 * and saved under its summary, never its data. Up to a sync model's 5 minutes the data URI is sent as
 * it is. Longer audio, or a request only an async model serves (timestamps, speakers, `async`), is
 * uploaded from memory to DashScope's temporary storage and runs as an async task; nothing of it is
 * written to disk.
 */
import { type InlineAudio, resolveInlineAudio } from '../audio/inline.js';
import { FILETRANS_MODEL, type ModelInfo, resolveModel } from '../dashscope/models.js';
import { InputError } from '../domain/errors.js';
import type { CallContext } from '../domain/progress.js';
import type { TranscribeRequest } from '../domain/request.js';
import type { TranscriptionResult } from '../domain/result.js';
import { formatDuration, mb } from '../util/format.js';
import type { ServiceContext } from './context.js';
import { transcribeAsync } from './jobs.js';
import { routeRequest } from './routing.js';
import { transcribeSync } from './sync.js';

export async function transcribeInline(
  ctx: ServiceContext,
  req: TranscribeRequest,
  asked: ModelInfo,
  explicit: boolean,
  call: CallContext,
): Promise<TranscriptionResult> {
  const inline = await resolveInlineAudio(req.audio);
  // Routed like a URL (no path); the summary stands for the audio in everything saved or shown.
  const source = { kind: 'url' as const, url: inline.uri, name: inline.name };
  const shown = { ...req, audio: inline.summary };
  const { model, warnings } = routeRequest(shown, asked, explicit, source);
  const what = `The inline ${inline.format.label} audio`;
  const seconds = inline.duration?.seconds;
  const tooLong = model.mode === 'sync' && seconds !== undefined && seconds > model.maxDurationS;
  if (model.mode === 'sync' && !tooLong) {
    checkFormat(inline, model);
    if (seconds === undefined) {
      warnings.push(
        `The duration of the inline ${inline.format.label} audio could not be read from its header; it was sent to ${model.id} as it is.`,
      );
    }
    return transcribeSync(ctx, shown, model, source, warnings, call);
  }
  if (tooLong && explicit) {
    throw new InputError(
      `${what} lasts ${formatDuration(seconds!)}, over the ${formatDuration(model.maxDurationS)} that ${model.id} takes. Nothing was sent.`,
      {
        hint: `Use model ${FILETRANS_MODEL} (or leave \`model\` unset): longer inline audio is uploaded to DashScope's temporary storage and runs as an async task.`,
      },
    );
  }
  const target = model.mode === 'sync' ? resolveModel(FILETRANS_MODEL) : model;
  checkFormat(inline, target);
  if (tooLong) {
    warnings.push(
      `${what} lasts ${formatDuration(seconds!)}, over the ${formatDuration(model.maxDurationS)} a sync model takes inline, so it was uploaded from memory to DashScope's temporary storage and ran on ${target.id}.`,
    );
  }
  call.onProgress?.({ stage: 'uploading', fraction: 0, detail: `0 of ${mb(inline.size)}` });
  const url = await ctx.uploader.upload(
    {
      path: 'the inline audio',
      name: inline.name,
      size: inline.size,
      format: inline.format,
      data: inline.data,
    },
    target.id,
    {
      signal: call.signal,
      onProgress: ({ sent, total }) =>
        call.onProgress?.({
          stage: 'uploading',
          fraction: sent / total,
          detail: `${mb(sent)} of ${mb(total)}`,
        }),
    },
  );
  return transcribeAsync(ctx, shown, target, { kind: 'url', url, name: inline.name }, warnings, call);
}

function checkFormat(inline: InlineAudio, model: ModelInfo): void {
  if (!model.formats.has(inline.format.container)) {
    throw new InputError(`${model.id} does not take ${inline.format.label} audio. Nothing was sent.`, {
      hint: 'Send MP3, WAV, FLAC, Ogg/Opus or WebM, or pass a path or URL.',
    });
  }
}
