/**
 * Saved transcripts as MCP resources, readable by any client: `transcript://<id>` (plain text) and
 * `transcript://<id>.json` (compact, without the raw responses), `.srt`, `.vtt` beside it. No reply
 * exceeds 1 MiB as a serialized JSON-RPC message (the TypeScript SDK drops stdio lines over 10 MiB,
 * Python's HTTP client SSE events over 1 MiB): a larger one is split at sentence or cue boundaries
 * into `…?part=N` resources, each listed; a JSON part is valid JSON on its own.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type ReadResourceResult,
  type Resource,
} from '@modelcontextprotocol/sdk/types.js';
import { AsrError } from '../../domain/errors.js';
import type { TranscriptionResult } from '../../domain/result.js';
import { jsonStringBytes, splitJsonParts, splitTextParts } from '../../format/parts.js';
import type { TranscriptionService } from '../../transcription/service.js';
import type { Format, Renderings } from '../renderings.js';

/** A serialized reply stays under 1 MiB: the text gets this much, the envelope the rest. */
const PART_BYTES = 1024 * 1024 - 4096;
/** Transcripts per resources/list page. */
const PAGE_SIZE = 25;

const SUFFIX: Record<Format, string> = { text: '', json: '.json', srt: '.srt', vtt: '.vtt' };
const MIME: Record<Format, string> = {
  text: 'text/plain',
  json: 'application/json',
  srt: 'application/x-subrip',
  vtt: 'text/vtt',
};

interface Deps {
  service: TranscriptionService;
  renderings: Renderings;
  /** Fixed resources served beside the transcripts (the viewer, ui://). */
  fixed?: FixedResources;
}

export interface FixedResources {
  list(): Resource[];
  read(uri: string): ReadResourceResult | undefined;
}

export function registerTranscriptResources(server: McpServer, deps: Deps): void {
  const parts = new PartsCache(deps);
  server.server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: (['text', 'json', 'srt', 'vtt'] as Format[]).map((f) => ({
      uriTemplate: `transcript://{transcript_id}${SUFFIX[f]}`,
      name: `transcript${SUFFIX[f] || '.txt'}`,
      title: `Saved transcript (${f})`,
      description:
        'A transcript saved by asr_transcribe / asr_task_status. Over 1 MiB it is split: read ?part=1, ?part=2, … (listed).',
      mimeType: MIME[f],
    })),
  }));
  server.server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    const ids = await deps.service.savedTranscriptIds();
    const start = decodeCursor(request.params?.cursor);
    const resources: Resource[] = start === 0 ? (deps.fixed?.list() ?? []) : [];
    for (const id of ids.slice(start, start + PAGE_SIZE)) resources.push(...(await listed(id, parts)));
    const next = start + PAGE_SIZE;
    return {
      resources,
      ...(next < ids.length ? { nextCursor: Buffer.from(String(next)).toString('base64url') } : {}),
    };
  });
  server.server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const uri = request.params.uri;
    const fixed = deps.fixed?.read(uri);
    if (fixed) return fixed;
    const target = parseUri(uri);
    if (!target) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `${uri.slice(0, 200)} is not a transcript resource; list resources to see them.`,
      );
    }
    try {
      const all = await parts.get(target.id, target.format);
      if (target.part === undefined && all.length > 1) {
        throw new McpError(
          ErrorCode.InvalidParams,
          `${uri} is ${all.length} parts of up to 1 MiB: read ${uri}?part=1 to ?part=${all.length}, or page through it with asr_read_transcript.`,
        );
      }
      const index = (target.part ?? 1) - 1;
      const text = all[index];
      if (text === undefined) {
        throw new McpError(
          ErrorCode.InvalidParams,
          `${uri} has ${all.length} part(s); there is no part ${target.part}.`,
        );
      }
      return { contents: [{ uri, mimeType: MIME[target.format], text }] };
    } catch (err) {
      if (err instanceof AsrError)
        throw new McpError(ErrorCode.InvalidParams, err.hint ? `${err.message} ${err.hint}` : err.message);
      throw err;
    }
  });
}

async function listed(id: string, parts: PartsCache): Promise<Resource[]> {
  const out: Resource[] = [];
  for (const format of ['text', 'json', 'srt', 'vtt'] as Format[]) {
    let count: number;
    try {
      count = (await parts.get(id, format)).length;
    } catch {
      continue; // no subtitles for an untimed transcript; a set that no longer reads is skipped
    }
    const base = `transcript://${id}${SUFFIX[format]}`;
    const name = `${id}${SUFFIX[format] || '.txt'}`;
    if (count === 1)
      out.push({ uri: base, name, mimeType: MIME[format], description: `Saved transcript (${format})` });
    else
      for (let n = 1; n <= count; n++)
        out.push({
          uri: `${base}?part=${n}`,
          name: `${name} part ${n} of ${count}`,
          mimeType: MIME[format],
          description: `Saved transcript (${format}), part ${n} of ${count}`,
        });
  }
  return out;
}

/** `transcript://<id>[.json|.srt|.vtt][?part=N]` */
function parseUri(uri: string): { id: string; format: Format; part?: number } | undefined {
  const m = /^transcript:\/\/([^?#]+?)(\.json|\.srt|\.vtt)?(?:\?part=([1-9][0-9]{0,5}))?$/.exec(uri);
  if (!m) return undefined;
  const format: Format =
    m[2] === '.json' ? 'json' : m[2] === '.srt' ? 'srt' : m[2] === '.vtt' ? 'vtt' : 'text';
  return { id: decodeURIComponent(m[1]!), format, part: m[3] ? Number(m[3]) : undefined };
}

function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const n = Number(Buffer.from(cursor, 'base64url').toString());
  if (!Number.isInteger(n) || n < 0)
    throw new McpError(ErrorCode.InvalidParams, 'Invalid cursor: start the listing again.');
  return n;
}

/** Parts of each (transcript, format), computed once: saved transcripts never change. */
class PartsCache {
  private readonly cache = new Map<string, string[]>();

  constructor(private readonly deps: Deps) {}

  async get(id: string, format: Format): Promise<string[]> {
    const key = `${id}\n${format}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const parts = format === 'json' ? await this.jsonParts(id) : await this.textParts(id, format);
    this.cache.set(key, parts);
    if (this.cache.size > 400) this.cache.delete(this.cache.keys().next().value as string);
    return parts;
  }

  private async textParts(id: string, format: Format): Promise<string[]> {
    const r = await this.deps.renderings.get(id, format);
    if (jsonStringBytes(r.text) <= PART_BYTES) return [r.text];
    return splitTextParts(r.text, r.boundaries, PART_BYTES);
  }

  private async jsonParts(id: string): Promise<string[]> {
    const saved = await this.deps.service.savedTranscript(id);
    if (!saved)
      throw new McpError(
        ErrorCode.InvalidParams,
        `No saved transcript ${id}. List resources to see the saved ones.`,
      );
    const { raw: _raw, ...withoutRaw } = saved;
    const whole = JSON.stringify(withoutRaw);
    if (jsonStringBytes(whole) <= PART_BYTES) return [whole];
    return splitSaved(withoutRaw, id);
  }
}

/** The JSON in parts: the first carries the fields, each carries its share of the sentences. */
function splitSaved(saved: Omit<TranscriptionResult, 'raw'>, id: string): string[] {
  const { sentences = [], text: _text, ...fields } = saved;
  const header = { ...fields, text_resource: `transcript://${id}` };
  // Escaping inside the reply adds a little to each part; shrink until every part fits.
  for (let cap = PART_BYTES; cap > 64 * 1024; cap = Math.floor(cap * 0.85)) {
    const { parts } = splitJsonParts(header, sentences, cap, 'sentences', { transcript_id: id });
    if (parts.every((p) => jsonStringBytes(p) <= PART_BYTES)) return parts;
  }
  throw new McpError(
    ErrorCode.InternalError,
    `Transcript ${id} has a sentence too large to serve as a resource; use asr_read_transcript.`,
  );
}
