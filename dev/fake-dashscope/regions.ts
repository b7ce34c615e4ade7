/**
 * The fake's own region table (spec page, "Regions and base URLs" and November 2026 sections B, F, I),
 * kept apart from the client's: which models exist where, and whether the temporary upload is offered.
 */
export type FakeRegion = 'cn-beijing' | 'ap-southeast-1' | 'us-east-1';

const DATE = '(?:-\\d{4}-\\d{2}-\\d{2})?';
const EVERYWHERE_BUT_US = [
  `qwen3-asr-flash${DATE}`,
  `qwen3-asr-flash-filetrans${DATE}`,
  'qwen-audio-asr(?:-latest|-\\d{4}-\\d{2}-\\d{2})?',
  `qwen-audio-3\\.[01]-asr-flash(?:-filetrans)?${DATE}`,
  'fun-asr-flash-2026-06-15',
  `fun-asr(?:-mtl)?${DATE}`,
];

const MODELS: Record<FakeRegion, RegExp> = {
  // Paraformer is Beijing-only.
  'cn-beijing': new RegExp(`^(?:${[...EVERYWHERE_BUT_US, `paraformer(?:-8k)?-v2${DATE}`].join('|')})$`),
  'ap-southeast-1': new RegExp(`^(?:${EVERYWHERE_BUT_US.join('|')})$`),
  // None of the new models; only the -us sync model.
  'us-east-1': /^qwen3-asr-flash(?:-\d{4}-\d{2}-\d{2})?-us$/,
};

export function regionHasModel(region: FakeRegion, model: string): boolean {
  return MODELS[region].test(model);
}

/** Beijing always; Singapore in the newest doc editions (Oct 2026); never in the US. */
export function regionHasTemporaryUpload(region: FakeRegion): boolean {
  return region !== 'us-east-1';
}

/** OpenAI-compatible mode is not documented for the US region. */
export function regionHasCompatibleMode(region: FakeRegion): boolean {
  return region !== 'us-east-1';
}
