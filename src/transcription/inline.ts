/**
 * Inline audio (a `data:` URI) on its way through: sniffed and measured in memory (audio/inline.ts),
 * and saved under its summary, never its data. Up to a sync model's 5 minutes the data URI is sent as
 * it is. Longer audio, or a request only an async model serves (timestamps, speakers, `async`), is
 * uploaded from memory to DashScope's temporary storage and runs as an async task; nothing of it is
 * written to disk.
 */
import { type InlineAudio, resolveInlineAudio } from '../audio/inline.js';
import { uploadTargetFor } from '../config/regions.js';
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
  const uploadTarget = uploadTargetFor(ctx.config);
  const { model, warnings } = routeRequest(shown, asked, explicit, source, {
    region: ctx.config.region,
    upload: uploadTarget,
  });
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
  if (uploadTarget === 'none') {
    throw new InputError(
      `${what} needs an async model, and region ${ctx.config.region} has no temporary upload for it. Nothing was sent.`,
      {
        hint: 'Configure your own bucket (ASR_BUCKET), pass a public URL instead, or send at most 5 minutes inline for the sync model.',
      },
    );
  }
  call.onProgress?.({ stage: 'uploading', fraction: 0, detail: `0 of ${mb(inline.size)}` });
  const onProgress = ({ sent, total }: { sent: number; total: number }) =>
    call.onProgress?.({ stage: 'uploading', fraction: sent / total, detail: `${mb(sent)} of ${mb(total)}` });
  let url: string;
  if (uploadTarget === 'bucket' && ctx.bucket) {
    // Your own bucket, as for files; the object goes with the start-up sweep (ASR_BUCKET_URL_TTL_S).
    const key = ctx.bucket.objectKey(inline.name);
    const data = inline.data;
    await ctx.bucket.upload(
      {
        path: 'the inline audio',
        name: inline.name,
        size: inline.size,
        mime: inline.format.mime,
        chunks: async function* (bytes: number) {
          for (let at = 0; at < data.length; at += bytes) yield data.subarray(at, at + bytes);
        },
      },
      key,
      { signal: call.signal, onProgress },
    );
    url = ctx.bucket.presignGet(key);
  } else {
    url = await ctx.uploader.upload(
      {
        path: 'the inline audio',
        name: inline.name,
        size: inline.size,
        format: inline.format,
        data: inline.data,
      },
      target.id,
      { signal: call.signal, onProgress },
    );
  }
  return transcribeAsync(ctx, shown, target, { kind: 'url', url, name: inline.name }, warnings, call);
}

function checkFormat(inline: InlineAudio, model: ModelInfo): void {
  if (!model.formats.has(inline.format.container)) {
    throw new InputError(`${model.id} does not take ${inline.format.label} audio. Nothing was sent.`, {
      hint: 'Send MP3, WAV, FLAC, Ogg/Opus or WebM, or pass a path or URL.',
    });
  }
}
