/** A sync model's call: the audio inline (a streamed data URI) or by URL, streamed back when someone listens. */
import { readSampleRate } from '../audio/sample-rate.js';
import { type AudioSource, dataUriStream, sourceStem } from '../audio/source.js';
import type { DashScopeApi } from '../dashscope/api.js';
import type { ModelInfo } from '../dashscope/models.js';
import { mapSyncOptions } from '../dashscope/options.js';
import { AsrError, StreamInterruptedError, TimeoutError } from '../domain/errors.js';
import type { CallContext } from '../domain/progress.js';
import type { TranscribeRequest } from '../domain/request.js';
import type { TranscriptionResult } from '../domain/result.js';
import type { ByteStream } from '../util/byte-stream.js';
import { round3 } from '../util/format.js';
import type { ServiceContext } from './context.js';
import { budgetSeconds, outOfTime } from './deadline.js';
import { saveResult } from './save.js';

export async function transcribeSync(
  ctx: ServiceContext,
  req: TranscribeRequest,
  model: ModelInfo,
  source: AudioSource,
  warnings: string[],
  call: CallContext,
): Promise<TranscriptionResult> {
  const facts =
    source.kind === 'file'
      ? {
          container: source.format.container,
          mime: source.format.mime,
          sampleRate:
            model.family === 'audio3-sync'
              ? await readSampleRate(source.path, source.format.container)
              : undefined,
        }
      : { url: source.url };
  const mapped = mapSyncOptions(req, model, facts);
  let audio: string | ByteStream;
  if (source.kind === 'file') {
    call.onProgress?.({ stage: 'encoding' });
    audio = dataUriStream(source);
  } else {
    audio = source.url;
  }
  call.onProgress?.({ stage: 'transcribing' });
  let recognized: Awaited<ReturnType<DashScopeApi['recognizeSync']>>;
  const { signal, deadline } = call;
  try {
    try {
      recognized = await ctx.api.recognizeSync(model, mapped.options, audio, {
        signal,
        deadline,
        onPartial: call.onPartial,
      });
    } catch (err) {
      // A stream cut after some text arrived cannot be resumed; one plain call gives the whole answer.
      if (!(err instanceof StreamInterruptedError) || signal?.aborted || outOfTime(call)) throw err;
      ctx.logger.warn(
        `streamed transcription broke off (${err.message}); asking once more without streaming`,
      );
      recognized = await ctx.api.recognizeSync(model, mapped.options, audio, { signal, deadline });
    }
  } catch (err) {
    if (!(err instanceof AsrError) || err.kind !== 'timeout' || !outOfTime(call)) throw err;
    const budget = budgetSeconds(ctx.config, req.wait_seconds);
    throw new TimeoutError(
      `The service did not answer within this call's budget of ${budget} s (transcribe with ${model.id}); nothing was transcribed.`,
      {
        hint: 'Try again, or use async: true (the call then returns a task id for asr_task_status) or a longer wait_seconds.',
        cause: err,
      },
    );
  }
  const { parsed, raw } = recognized;
  const result: TranscriptionResult = {
    text: parsed.text,
    task_id: null,
    status: 'SUCCEEDED',
    model: model.id,
    language: parsed.language,
    emotion: parsed.emotion,
    duration_s: source.kind === 'file' && source.duration ? round3(source.duration.seconds) : parsed.seconds,
    usage: parsed.usage,
    sentences: parsed.sentences,
    warnings: [...warnings, ...mapped.warnings],
    source: req.audio,
    raw,
  };
  call.onProgress?.({ stage: 'saving' });
  return saveResult(ctx, result, sourceStem(source));
}
