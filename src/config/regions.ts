/**
 * The region table: the one place region facts live (hosts, the models each region offers, whether
 * DashScope's temporary upload exists there). Facts from the spec page, section "Regions and base
 * URLs" and the November 2026 additions (A, B, F, I).
 */

export type Region = 'cn-beijing' | 'ap-southeast-1' | 'us-east-1';

/** `documented-late-2026`: newer doc editions list it (Singapore, Oct 2026); tried, with a clear error. */
type TemporaryUpload = 'yes' | 'documented-late-2026' | 'no';

interface RegionFacts {
  native: string;
  /** OpenAI-compatible base; undefined where none is documented. */
  compatible: string | undefined;
  /** Per-workspace hosts `{id}.{region}.maas.aliyuncs.com` exist here. */
  workspaceHosts: boolean;
  /** Model names (dated snapshots resolve to their base) this region offers. */
  models: RegExp;
  /** The same, in words for messages. */
  modelsText: string;
  temporaryUpload: TemporaryUpload;
  /** The sync model a request with no model named runs on here. */
  defaultModel: string;
}

const DATE = '(?:-\\d{4}-\\d{2}-\\d{2})?';
const COMMON = [
  `qwen3-asr-flash${DATE}`,
  `qwen3-asr-flash-filetrans${DATE}`,
  'qwen-audio-asr(?:-latest|-\\d{4}-\\d{2}-\\d{2})?',
  `qwen-audio-\\d+\\.\\d+-asr-flash(?:-filetrans)?${DATE}`,
  `fun-asr-flash${DATE}`,
  `fun-asr(?:-mtl)?${DATE}`,
];
const NEW_MODELS_TEXT =
  'qwen3-asr-flash, qwen3-asr-flash-filetrans, qwen-audio-3.1-asr-flash, qwen-audio-3.0-asr-flash, fun-asr-flash-2026-06-15, ' +
  'qwen-audio-3.1-asr-flash-filetrans, qwen-audio-3.0-asr-flash-filetrans, fun-asr, fun-asr-mtl, qwen-audio-asr';

export const REGIONS: Record<Region, RegionFacts> = {
  'cn-beijing': {
    native: 'https://dashscope.aliyuncs.com/api/v1',
    compatible: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
    workspaceHosts: true,
    // Paraformer is Beijing-only (section I).
    models: new RegExp(`^(?:${[...COMMON, `paraformer(?:-8k|-mtl)?-v[12]${DATE}`].join('|')})$`),
    modelsText: `${NEW_MODELS_TEXT}, paraformer-v2, paraformer-8k-v2 (and dated snapshots)`,
    temporaryUpload: 'yes',
    defaultModel: 'qwen3-asr-flash',
  },
  'ap-southeast-1': {
    native: 'https://dashscope-intl.aliyuncs.com/api/v1',
    compatible: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1',
    workspaceHosts: true,
    models: new RegExp(`^(?:${COMMON.join('|')})$`),
    modelsText: `${NEW_MODELS_TEXT} (and dated snapshots; no paraformer)`,
    temporaryUpload: 'documented-late-2026',
    defaultModel: 'qwen3-asr-flash',
  },
  'us-east-1': {
    native: 'https://dashscope-us.aliyuncs.com/api/v1',
    compatible: undefined,
    workspaceHosts: false,
    models: /^qwen3-asr-flash(?:-\d{4}-\d{2}-\d{2})?-us$/,
    modelsText:
      'only the sync model qwen3-asr-flash-us (and qwen3-asr-flash-2025-09-08-us): up to 5 min / 10 MB',
    temporaryUpload: 'no',
    defaultModel: 'qwen3-asr-flash-us',
  },
};

/** Does `region` offer the model `id` (a name the service knows, as sent on the wire)? */
export function regionOffers(region: Region, id: string): boolean {
  return REGIONS[region].models.test(id);
}

/**
 * Where a local file for an async model goes: the user's own bucket when one is configured, else
 * DashScope's temporary upload where the region offers it, else nowhere (the request is refused
 * before any byte is sent). `bucket` is read when the configuration has one.
 */
export function uploadTargetFor(config: {
  region: Region;
  bucket?: unknown;
}): 'bucket' | 'temporary' | 'none' {
  if (config.bucket) return 'bucket';
  return REGIONS[config.region].temporaryUpload === 'no' ? 'none' : 'temporary';
}
