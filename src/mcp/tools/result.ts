/**
 * A transcription result as MCP tool content, laid out for what agents' client libraries actually do
 * with it: block 1 is a header line and the transcript (the only copy of the text in `content` outside
 * the service's own response), block 2 the rest as compact JSON. No `resource_link` blocks unless
 * ASR_RESOURCE_LINKS asks for them (client libraries turn them into file parts models refuse).
 *
 * `content` and `structuredContent` are each held to one budget in estimated tokens: `sentences` and
 * `raw` give way first, then the text is cut at a sentence; both carry the same slice, and
 * `asr_read_transcript` reads on from `next_offset`.
 */
import type { TranscriptionResult } from '../../domain/result.js';
import { lastAtMost, sentenceBoundaries } from '../../format/boundaries.js';
import { jsonSize } from '../../format/json-size.js';
import { page } from '../../format/pages.js';
import { codePointIndex, estimateTokens, measure } from '../../format/tokens.js';

/** The service's response rides along in block 2 unmodified while it is this small (compact JSON). */
export const RAW_INLINE_BYTES = 1500;
/** Room kept for the content array's own JSON and the cut notice. */
const OVERHEAD_TOKENS = 80;

export interface ResultLimits {
  maxResultTokens: number;
  maxTextChars: number;
  resourceLinks: boolean;
}

type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'resource_link'; uri: string; name: string; mimeType: string; description?: string };

export interface ToolPayload {
  [key: string]: unknown;
  content: ContentBlock[];
  structuredContent: Record<string, unknown>;
}

const tokensOf = (value: unknown) => estimateTokens(JSON.stringify(value) ?? '');

export function toToolPayload(result: TranscriptionResult, limits: ResultLimits): ToolPayload {
  const { text: wholeText, sentences, raw, ...rest } = result;

  // structuredContent: everything while it fits; then sentences, then raw give way. Each part is
  // measured once: for a 12-hour transcript they are tens of MB of JSON.
  const structured: Record<string, unknown> = { ...rest };
  const sentencesSize = sentences === undefined ? { bytes: 0, tokens: 0 } : jsonSize(sentences);
  const rawSize = raw === undefined || raw === null ? { bytes: 0, tokens: 0 } : jsonSize(raw);
  const sizes = {
    rest: tokensOf(rest),
    sentences: sentencesSize.tokens,
    raw: rawSize.tokens,
    text: estimateTokens(wholeText),
  };
  let keepSentences = sentences !== undefined;
  let keepRaw = !!raw;
  const fits = () =>
    sizes.rest + sizes.text + (keepSentences ? sizes.sentences : 0) + (keepRaw ? sizes.raw : 0) <=
    limits.maxResultTokens;
  if (!fits()) keepSentences = false;
  if (!fits()) keepRaw = false;
  if (sentences !== undefined)
    structured.sentences = keepSentences ? sentences : { truncated: true, bytes: sentencesSize.bytes };
  structured.raw = !raw ? null : keepRaw ? raw : { truncated: true, bytes: rawSize.bytes };

  // Block 2: the result without its text and sentences; raw only while small.
  const rawBytes = rawSize.bytes;
  const rawInline = !raw || rawBytes <= RAW_INLINE_BYTES;
  const block2: Record<string, unknown> = { ...rest, text_in: 'content block 1' };
  // The inline raw answer already carries the usage report: once is enough.
  if (rawInline && raw && JSON.stringify((raw as { usage?: unknown }).usage) === JSON.stringify(rest.usage))
    delete block2.usage;
  if (Array.isArray(structured.sentences))
    block2.sentences_in_structured_content = structured.sentences.length;
  block2.raw = rawInline
    ? (raw ?? null)
    : {
        omitted: true,
        bytes: rawBytes,
        read_with: result.transcript_id
          ? { tool: 'asr_read_transcript', transcript_id: result.transcript_id, format: 'json' }
          : 'not saved',
      };
  const header = headerLine(result);
  const block2Text = JSON.stringify(block2);

  const forText = Math.min(
    limits.maxResultTokens - tokensOf(structured) - OVERHEAD_TOKENS,
    limits.maxResultTokens - estimateTokens(header) - estimateTokens(block2Text) - OVERHEAD_TOKENS,
  );
  const cut = cutText(wholeText, Math.max(1, forText), limits.maxTextChars);
  structured.text = cut.text;
  if (cut.nextOffset !== undefined) {
    structured.text_truncated = true;
    structured.text_total_chars = cut.total;
    structured.next_offset = cut.nextOffset;
  }

  const content: ContentBlock[] = [{ type: 'text', text: `${header}\n${body(result, cut)}` }];
  content.push({ type: 'text', text: block2Text });
  if (limits.resourceLinks && result.transcript_id) content.push(...links(result));
  // Key order as declared: the transcript first for readers of the JSON.
  const { text, text_truncated, text_total_chars, next_offset, ...others } = structured;
  const cutFacts = cut.nextOffset === undefined ? {} : { text_truncated, text_total_chars, next_offset };
  return { content, structuredContent: { text, ...cutFacts, ...others } };
}

interface Cut {
  text: string;
  total: number;
  nextOffset?: number;
}

/** The longest start of `text` within both limits that ends on a sentence (else a space, else anywhere). */
export function cutText(text: string, maxTokens: number, maxChars: number): Cut {
  const measured = measure(text);
  if (measured.tokens <= maxTokens && measured.chars <= maxChars) return { text, total: measured.chars };
  const bounds = sentenceBoundaries(text);
  let end = page(text, bounds, 0, maxTokens, measured).next_offset ?? measured.chars;
  if (end > maxChars) {
    const at = lastAtMost(bounds, maxChars);
    end = at >= 0 && bounds[at]! > 0 ? bounds[at]! : maxChars;
  }
  if (end >= measured.chars) return { text, total: measured.chars };
  return { text: text.slice(0, codePointIndex(text, end, measured)), total: measured.chars, nextOffset: end };
}

function headerLine(r: TranscriptionResult): string {
  const parts = [r.status, r.model];
  if (r.status === 'SUCCEEDED') parts.push(r.language ?? 'language –');
  if (r.duration_s !== undefined) parts.push(formatSeconds(r.duration_s));
  parts.push(`task ${r.task_id ?? '–'}`);
  if (r.status === 'SUCCEEDED') parts.push(`transcript ${r.transcript_id ?? '–'}`);
  else if (r.progress) parts.push(r.progress);
  return parts.join(' · ');
}

function body(r: TranscriptionResult, cut: Cut): string {
  if (r.status === 'PENDING' || r.status === 'RUNNING') {
    const eta = r.eta_s !== undefined ? ` Rough ETA: ${r.eta_s} s.` : '';
    return (
      `Not finished yet. Call asr_task_status with task_id "${r.task_id}" and wait: true in about ` +
      `${r.poll_after_s ?? 10} s to get the transcript.${eta}`
    );
  }
  if (!cut.text) return '(no speech recognized)';
  if (cut.nextOffset === undefined) return cut.text;
  const where = r.transcript_id
    ? `Read on with asr_read_transcript {"transcript_id": "${r.transcript_id}", "offset": ${cut.nextOffset}}.`
    : 'The rest could not be kept: see warnings.';
  return `${cut.text}\n[Cut at character ${cut.nextOffset} of ${cut.total}. ${where}]`;
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s * 10) / 10} s`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

function links(r: TranscriptionResult): ContentBlock[] {
  const id = r.transcript_id!;
  const formats: [string, string, string][] = [
    ['', 'text/plain', 'text'],
    ['.json', 'application/json', 'JSON'],
  ];
  if (r.files?.srt || (Array.isArray(r.sentences) && r.sentences.length > 0)) {
    formats.push(['.srt', 'application/x-subrip', 'SRT subtitles'], ['.vtt', 'text/vtt', 'WebVTT subtitles']);
  }
  return formats.map(([suffix, mimeType, what]) => ({
    type: 'resource_link' as const,
    uri: `transcript://${id}${suffix}`,
    name: `${id}${suffix || '.txt'}`,
    mimeType,
    description: `The saved transcript (${what})`,
  }));
}
