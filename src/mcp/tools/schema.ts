/**
 * Tool schemas as every client library can take them. Agent frameworks hand `inputSchema` to model
 * APIs with narrow JSON Schema dialects (Gemini refuses `$schema`; strict function tools choke on
 * `pattern`, `format` and length bounds), so what we publish keeps to type, properties, required,
 * description, enum, items, minimum/maximum, default and `additionalProperties: false`. The zod
 * shapes behind them still enforce every bound, with their own messages, when a call arrives.
 */
import { z } from 'zod';

const DROPPED = new Set(['$schema', 'pattern', 'format', 'minLength', 'maxLength', 'minItems', 'maxItems']);

type Json = Record<string, unknown>;

function clean(node: unknown, depth: number, keepDescriptionsTo: number): unknown {
  if (Array.isArray(node)) return node.map((n) => clean(n, depth, keepDescriptionsTo));
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (DROPPED.has(key)) continue;
    if (key === 'description' && depth > keepDescriptionsTo) continue;
    // An open object's empty `properties` says nothing.
    if (key === 'properties' && Object.keys(value as Json).length === 0) continue;
    // zod spells "any integer" with the safe-integer range: noise to every reader.
    if (
      (key === 'maximum' && value === Number.MAX_SAFE_INTEGER) ||
      (key === 'minimum' && value === Number.MIN_SAFE_INTEGER)
    )
      continue;
    const next = key === 'properties' ? depth + 1 : depth;
    out[key] =
      key === 'properties'
        ? Object.fromEntries(
            Object.entries(value as Json).map(([k, v]) => [k, clean(v, next, keepDescriptionsTo)]),
          )
        : clean(value, next, keepDescriptionsTo);
  }
  return out;
}

/** The input schema of a tool: every property described, nothing a narrow dialect refuses. */
export function portableInputSchema(shape: z.ZodRawShape): Json {
  const schema = clean(z.toJSONSchema(z.object(shape), { io: 'input' }), 0, 1) as Json;
  return { ...schema, additionalProperties: false };
}

/**
 * The output schema, kept to the top level: each field's type (or types) and description, nested
 * objects and arrays left open. Clients validate structuredContent against it, so it stays a true
 * (if loose) description; the zod shape checks the details on our side.
 */
export function portableOutputSchema(shape: z.ZodRawShape): Json {
  const full = clean(z.toJSONSchema(z.object(shape), { io: 'output' }), 0, 1) as Json;
  const names = Object.keys(full.properties as Json);
  const PUBLISHED = new Set(names.includes('status') ? CORE : names);
  const properties = Object.fromEntries(
    Object.entries(full.properties as Record<string, Json>)
      .filter(([name]) => PUBLISHED.has(name))
      .map(([name, node]) => [name, topLevel(name, node)]),
  );
  const required = (full.required as string[] | undefined)?.filter((name) => PUBLISHED.has(name));
  // Further fields (duration, usage, files, …: see the README) are allowed, not spelled out.
  return { type: 'object', properties, ...(required?.length ? { required } : {}) };
}

/** The fields an agent acts on; a tool whose output has none of these publishes them all. */
const CORE = ['text', 'status', 'task_id', 'model', 'transcript_id', 'next_offset', 'warnings', 'raw'];

/** The few output fields whose meaning is not plain from the name. */
const DESCRIBED = new Set(['next_offset']);

function topLevel(name: string, node: Json): Json {
  const out: Json = {};
  const variants = (node.anyOf as Json[] | undefined)?.map((v) => JSON.stringify(bare(v)));
  if (variants) out.anyOf = [...new Set(variants)].map((v) => JSON.parse(v) as Json);
  else Object.assign(out, bare(node));
  if (typeof node.description === 'string' && DESCRIBED.has(name)) out.description = node.description;
  return out;
}

function bare(node: Json): Json {
  // A type array is legal but not portable (single-type dialects such as Gemini's): spell it as anyOf.
  if (Array.isArray(node.type)) return { anyOf: node.type.map((type) => ({ type })) };
  if (node.enum) return { type: node.type, enum: node.enum };
  return node.type === undefined ? {} : { type: node.type };
}
