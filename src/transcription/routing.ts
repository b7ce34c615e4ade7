/**
 * Routing: which model can actually serve a request, decided from the request, the model asked for,
 * what is known about the audio and what the region offers. Data in, decision out: no I/O, so every
 * rule is tested by table. A request the region cannot serve is refused here, before any byte is sent.
 */
import { type AudioSource, dataUriLength } from '../audio/source.js';
import { REGIONS, type Region, regionOffers } from '../config/regions.js';
import { asyncCounterpart, type ModelInfo, resolveModel, SPEAKER_LABELS_MODEL } from '../dashscope/models.js';
import { InputError } from '../domain/errors.js';
import type { TranscribeRequest } from '../domain/request.js';
import { formatDuration } from '../util/format.js';

/** Where the request will run: the region, and where a local file for an async model can go. */
export interface RoutePlan {
  region: Region;
  upload: 'bucket' | 'temporary' | 'none';
}

const DEFAULT_PLAN: RoutePlan = { region: 'cn-beijing', upload: 'temporary' };
const MAX_DATA_URI_BYTES = 10_485_760;

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
  plan: RoutePlan = DEFAULT_PLAN,
): RouteDecision {
  const warnings: string[] = [];
  const regional = inRegion(model, plan.region, warnings);
  if (regional.passthrough) {
    warnings.push(
      `${regional.id} is not in this server's model table; it was sent as a ${regional.family} model (${regional.mode}). If the service does not know it, use a listed model.`,
    );
  }
  const chosen = route(req, regional, explicit, source, plan, warnings);
  // A name outside the table is the service's to judge, except where the region has one model only.
  const passes = chosen.passthrough && (plan.region !== 'us-east-1' || chosen.id.endsWith('-us'));
  if (!passes && !regionOffers(plan.region, chosen.id)) {
    throw new InputError(
      `${chosen.id} is not offered in region ${plan.region}. Nothing was sent. ${plan.region} offers ${REGIONS[plan.region].modelsText}.`,
      { hint: 'Pick one of those, or set DASHSCOPE_REGION (with a key from that region).' },
    );
  }
  if (chosen.mode === 'async' && source.kind === 'file' && plan.upload === 'none') {
    throw noUploadTarget(chosen, source, plan.region);
  }
  return { model: chosen, warnings };
}

/** us-east-1 names its only model with `-us`: the plain name maps to it, with a warning. */
function inRegion(model: ModelInfo, region: Region, warnings: string[]): ModelInfo {
  if (region !== 'us-east-1' || model.family !== 'qwen3-sync' || model.id.endsWith('-us')) return model;
  const us = resolveModel(`${model.id}-us`);
  warnings.push(`Region us-east-1 names this model ${us.id}; ${model.id} ran as ${us.id}.`);
  return us;
}

function noUploadTarget(
  model: ModelInfo,
  source: AudioSource & { kind: 'file' },
  region: Region,
): InputError {
  const seconds = source.duration?.seconds;
  const fitsSync =
    dataUriLength(source.size, source.format.mime) <= MAX_DATA_URI_BYTES &&
    seconds !== undefined &&
    seconds <= 300;
  const ways = [
    'configure your own bucket (ASR_BUCKET) so the file is uploaded there',
    'or put the file on a public (or presigned) http(s) URL and pass that',
  ];
  if (fitsSync) {
    ways.push(
      `or, since this file fits the sync model (data URI within 10,485,760 bytes, at most 5 min), ask without timestamps, speaker labels or async so it runs on ${REGIONS[region].defaultModel}`,
    );
  }
  return new InputError(
    `${source.path} needs ${model.id} (an async model, which takes URLs only), and region ${region} has no temporary upload for local files. Nothing was sent or uploaded. Ways out: ${ways.join('; ')}.`,
  );
}

/** An async model is needed (`why`); refused at once where the region offers none. */
function needAsync(target: string, region: Region, why: string): ModelInfo {
  if (!regionOffers(region, target)) {
    throw new InputError(
      `${why} needs an async model, and region ${region} offers ${REGIONS[region].modelsText}. Nothing was sent.`,
      {
        hint:
          region === 'us-east-1'
            ? 'Use a key from cn-beijing or ap-southeast-1 (set DASHSCOPE_REGION), or send parts of at most 5 min without timestamps or speaker labels.'
            : 'Set DASHSCOPE_REGION to a region that offers it (with a key from there).',
      },
    );
  }
  return resolveModel(target);
}

function route(
  req: TranscribeRequest,
  model: ModelInfo,
  explicit: boolean,
  source: AudioSource,
  plan: RoutePlan,
  warnings: string[],
): ModelInfo {
  const { region } = plan;
  const counterpart = asyncCounterpart(model);
  const filetrans = (why: string) => needAsync(counterpart, region, why);
  const wantsSpeakers = req.diarization_enabled === true || req.speaker_count !== undefined;
  const labelsSpeakers = model.family === 'file-transcription' || model.family === 'audio3-filetrans';
  if (!explicit && wantsSpeakers && !labelsSpeakers) {
    const target = needAsync(SPEAKER_LABELS_MODEL, region, 'Speaker labels');
    warnings.push(
      `Speaker labels are a feature of the file-transcription models, so this request ran on ${target.id} (fun-asr and paraformer label speakers too when named).`,
    );
    return route(
      { ...req, diarization_enabled: undefined, speaker_count: undefined },
      target,
      true,
      source,
      plan,
      warnings,
    );
  }
  if (model.mode === 'sync' && req.async === true) {
    const target = filetrans('async: true');
    warnings.push(
      `async: true with ${model.id} (a sync model) ran on its file-transcription counterpart ${target.id}.`,
    );
    return target;
  }
  const timestamps = req.timestamp_granularities ?? [];
  if (model.mode === 'sync' && timestamps.length > 0 && model.family !== 'audio3-sync') {
    const target = filetrans(`A request for ${timestamps.join(' and ')} timestamps`);
    warnings.push(
      `${model.id} returns no timestamps, so the request for ${timestamps.join(' and ')} timestamps ran on ${target.id}.`,
    );
    return target;
  }
  if (model.mode === 'async' && req.async === false) {
    warnings.push(`async: false was ignored: ${model.id} only runs as an async task.`);
  }
  if (source.kind === 'url') {
    if (source.url.startsWith('oss://') && model.mode === 'sync') {
      throw new InputError(
        `oss:// URLs are temporary-upload keys that only async models accept; use model ${counterpart}, or pass the local file instead.`,
      );
    }
    return model;
  }
  const f = source.format;
  if (!model.formats.has(f.container)) {
    const otherId = model.mode === 'sync' ? counterpart : REGIONS[region].defaultModel;
    const other = resolveModel(otherId);
    if (!other.formats.has(f.container)) {
      throw new InputError(
        `${f.label} is not a format any supported model takes. Convert ${source.path} to MP3, WAV or FLAC.`,
      );
    }
    if (model.mode === 'sync' && !explicit) {
      const target = filetrans(`A ${f.label} file`);
      warnings.push(`${f.label} files are taken only by ${target.id}, so this one ran there.`);
      return target;
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
    if (explicit && regionOffers(region, counterpart)) {
      throw new InputError(`${source.path} cannot go to ${model.id}: ${why}.`, {
        hint: `Use model ${counterpart} (up to 12 h / 2 GB), or leave \`model\` unset to route automatically.`,
      });
    }
    const target = filetrans(`${source.name} (${why})`);
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
      `The duration of ${source.name} could not be read from its header; it was sent to ${model.id} by size, and will go to ${counterpart} if the service refuses it as too long.`,
    );
  }
  return model;
}
