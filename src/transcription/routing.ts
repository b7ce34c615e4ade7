/**
 * Routing: which model can actually serve a request, decided from the request, the model asked for
 * and what is known about the audio. Data in, decision out: no I/O, so every rule is tested by table.
 */
import { type AudioSource, dataUriLength } from '../audio/source.js';
import {
  FILE_TRANSCRIPTION_MODEL,
  FILETRANS_MODEL,
  type ModelInfo,
  resolveModel,
} from '../dashscope/models.js';
import { InputError } from '../domain/errors.js';
import type { TranscribeRequest } from '../domain/request.js';
import { formatDuration } from '../util/format.js';

export interface RouteDecision {
  model: ModelInfo;
  /** Every change of model, and why, in words for the caller. */
  warnings: string[];
}

/**
 * The model that serves `req`. `explicit` says the caller named `model`: then a model that cannot
 * serve the audio is an error naming the right one, never a silent change.
 */
export function routeRequest(
  req: TranscribeRequest,
  model: ModelInfo,
  explicit: boolean,
  source: AudioSource,
): RouteDecision {
  const warnings: string[] = [];
  return { model: route(req, model, explicit, source, warnings), warnings };
}

function route(
  req: TranscribeRequest,
  model: ModelInfo,
  explicit: boolean,
  source: AudioSource,
  warnings: string[],
): ModelInfo {
  const filetrans = () => resolveModel(FILETRANS_MODEL);
  const wantsFamily = req.diarization_enabled === true || req.speaker_count !== undefined;
  if (!explicit && wantsFamily) {
    warnings.push(
      `Speaker labels are a feature of the paraformer / fun-asr models, so this request ran on ${FILE_TRANSCRIPTION_MODEL}.`,
    );
    return route(
      { ...req, diarization_enabled: undefined, speaker_count: undefined },
      resolveModel(FILE_TRANSCRIPTION_MODEL),
      true,
      source,
      warnings,
    );
  }
  if (model.mode === 'sync' && req.async === true) {
    warnings.push(
      `async: true with ${model.id} (a sync model) ran on its file-transcription counterpart ${FILETRANS_MODEL}.`,
    );
    return filetrans();
  }
  if (model.mode === 'sync' && req.timestamp_granularities && req.timestamp_granularities.length > 0) {
    warnings.push(
      `${model.id} returns no timestamps, so the request for ${req.timestamp_granularities.join(' and ')} timestamps ran on ${FILETRANS_MODEL}.`,
    );
    return filetrans();
  }
  if (model.mode === 'async' && req.async === false) {
    warnings.push(`async: false was ignored: ${model.id} only runs as an async task.`);
  }
  if (source.kind === 'url') {
    if (source.url.startsWith('oss://') && model.mode === 'sync') {
      throw new InputError(
        `oss:// URLs are temporary-upload keys that only async models accept; use model ${FILETRANS_MODEL}, or pass the local file instead.`,
      );
    }
    return model;
  }
  const f = source.format;
  if (!model.formats.has(f.container)) {
    const other = model.mode === 'sync' ? resolveModel(FILETRANS_MODEL) : resolveModel('qwen3-asr-flash');
    if (!other.formats.has(f.container)) {
      throw new InputError(
        `${f.label} is not a format any supported model takes. Convert ${source.path} to MP3, WAV or FLAC.`,
      );
    }
    if (model.mode === 'sync' && !explicit) {
      warnings.push(`${f.label} files are taken only by ${other.id}, so this one ran there.`);
      return other;
    }
    throw new InputError(
      `${model.id} does not take ${f.label} files (${source.path}). Use model ${other.id}, which does` +
        (model.mode === 'async'
          ? ', or convert the file to MP3/WAV/FLAC.'
          : ', or leave `model` unset to route automatically.'),
    );
  }
  if (model.mode !== 'sync') return model;
  const uriBytes = dataUriLength(source.size, f.mime);
  const tooBig = uriBytes > (model.maxDataUriBytes ?? Number.POSITIVE_INFINITY);
  const seconds = source.duration?.seconds;
  const tooLong = seconds !== undefined && seconds > model.maxDurationS;
  if (tooBig || tooLong) {
    const why = tooBig
      ? `its data URI would be ${(uriBytes / 1048576).toFixed(1)} MB, over the ${model.id} limit of 10 MB (10,485,760 bytes)`
      : `it lasts ${formatDuration(seconds!)}, over the ${model.id} limit of ${formatDuration(model.maxDurationS)}`;
    const target = filetrans();
    if (explicit) {
      throw new InputError(`${source.path} cannot go to ${model.id}: ${why}.`, {
        hint: `Use model ${target.id} (up to 12 h / 2 GB), or leave \`model\` unset to route automatically.`,
      });
    }
    if (!target.formats.has(f.container)) {
      throw new InputError(
        `${source.path} is too long for ${model.id} (${why}), and ${target.id} does not take ${f.label}.`,
        { hint: 'Convert it to MP3, WAV or FLAC and try again.' },
      );
    }
    warnings.push(`${source.name} went to ${target.id} because ${why}.`);
    return target;
  }
  if (source.duration === undefined) {
    warnings.push(
      `The duration of ${source.name} could not be read from its header; it was sent to ${model.id} by size, and will go to ${FILETRANS_MODEL} if the service refuses it as too long.`,
    );
  }
  return model;
}
