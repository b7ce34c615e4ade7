/**
 * List prices from the spec page (section G, as of November 2026), only where the page gives them in
 * USD. A cost estimate is made from the service's own `usage` and only for these models; anything else
 * gets none rather than a guess.
 */
import type { CostEstimate } from '../domain/result.js';
import { num, obj } from './json.js';
import { baseModelName } from './models.js';

/** The date this table was taken from the spec page. */
const PRICE_TABLE_DATE = '2026-11-25';

type Prices =
  | { basis: 'per_second'; usdPerSecond: Record<string, number> }
  | { basis: 'per_token'; usdPerMillion: Record<string, { input: number; output: number }> };

const PRICES: Record<string, Prices> = {
  'qwen-audio-3.0-asr-flash-filetrans': {
    basis: 'per_second',
    usdPerSecond: { 'cn-beijing': 0.000032, 'ap-southeast-1': 0.000035 },
  },
  'qwen-audio-3.1-asr-flash-filetrans': {
    basis: 'per_token',
    usdPerMillion: {
      'cn-beijing': { input: 0.113, output: 0.382 },
      'ap-southeast-1': { input: 0.15, output: 0.47 },
    },
  },
};

/** The estimate for what `usage` reports, or undefined when the price or the usage is not known. */
export function estimateCost(modelId: string, region: string, usage: unknown): CostEstimate | undefined {
  const prices = PRICES[baseModelName(modelId)];
  const u = obj(usage);
  if (!prices || !u) return undefined;
  let usd: number | undefined;
  if (prices.basis === 'per_second') {
    const rate = prices.usdPerSecond[region];
    const seconds = num(u.duration) ?? num(u.seconds);
    if (rate !== undefined && seconds !== undefined) usd = seconds * rate;
  } else {
    const rate = prices.usdPerMillion[region];
    // How the service reports tokens for this model is UNCONFIRMED: only when it says so.
    const input = num(u.input_tokens) ?? num(u.prompt_tokens);
    const output = num(u.output_tokens) ?? num(u.completion_tokens);
    if (rate !== undefined && input !== undefined && output !== undefined)
      usd = (input * rate.input + output * rate.output) / 1_000_000;
  }
  if (usd === undefined) return undefined;
  return { usd: Math.round(usd * 1e8) / 1e8, basis: prices.basis, price_table_date: PRICE_TABLE_DATE };
}
