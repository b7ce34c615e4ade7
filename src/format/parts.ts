/**
 * Splitting a resource into parts under a byte cap, so that no `resources/read` message exceeds 1 MiB.
 *
 * Callers: the transcript resources (`transcript://…`): `splitTextParts` for text, SRT and VTT with the
 * boundaries from boundaries.ts, `splitJsonParts` for the JSON form. The caller passes the cap left after
 * the JSON-RPC envelope (id, uri, mimeType, keys), e.g. 1 MiB minus a few KiB.
 *
 * Sizes are UTF-8 bytes of the part as it travels: a text part inside a JSON string (escaped, with its
 * quotes), a JSON part as its own compact text.
 */
import { isSpace, lastAtMost } from './boundaries.js';
import { advanceCodePoints } from './tokens.js';

/** Bytes `JSON.stringify` spends on one code unit (pairs handled by the caller). */
function escapedBytes(c: number): number {
  if (c < 0x80) {
    if (c >= 0x20) return c === 0x22 || c === 0x5c ? 2 : 1; // \" and \\
    return c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6; // \n or \u001f
  }
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdfff) return 6; // a lone surrogate: well-formed stringify writes \udxxx
  return 3;
}

function pairAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) return false;
  const d = s.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff;
}

/** `Buffer.byteLength(JSON.stringify(s))` without building the escaped copy. */
export function jsonStringBytes(s: string): number {
  let bytes = 2;
  for (let i = 0; i < s.length; i++) {
    if (pairAt(s, i)) {
      bytes += 4;
      i++;
    } else {
      bytes += escapedBytes(s.charCodeAt(i));
    }
  }
  return bytes;
}

/** The worst single code point (6 bytes escaped) plus the quotes: below this no progress is possible. */
const MIN_TEXT_BYTES = 8;

/**
 * `text` cut into parts whose `jsonStringBytes` is ≤ `maxBytes`, each ending on one of `boundaries`
 * (ascending code-point offsets) when one fits, else after the last whitespace that fits, else as much
 * as fits (never inside a surrogate pair). Joined, the parts are `text`; an empty text is one part.
 */
export function splitTextParts(text: string, boundaries: ArrayLike<number>, maxBytes: number): string[] {
  if (!Number.isInteger(maxBytes) || maxBytes < MIN_TEXT_BYTES) {
    throw new RangeError(`maxBytes must be a whole number ≥ ${MIN_TEXT_BYTES}, got ${maxBytes}.`);
  }
  const parts: string[] = [];
  const n = text.length;
  let startIdx = 0;
  let startCp = 0;
  do {
    let bytes = 2;
    let i = startIdx;
    let cp = startCp;
    let spaceIdx = -1;
    let spaceCp = -1;
    while (i < n) {
      const pair = pairAt(text, i);
      const c = text.charCodeAt(i);
      const cost = pair ? 4 : escapedBytes(c);
      if (bytes + cost > maxBytes) break;
      bytes += cost;
      i += pair ? 2 : 1;
      cp++;
      if (isSpace(c)) {
        spaceIdx = i;
        spaceCp = cp;
      }
    }
    let endIdx = i;
    let endCp = cp;
    if (i < n) {
      const b = boundaries[lastAtMost(boundaries, cp)];
      if (b !== undefined && b > startCp) {
        endIdx = advanceCodePoints(text, startIdx, b - startCp);
        endCp = b;
      } else if (spaceIdx !== -1) {
        endIdx = spaceIdx;
        endCp = spaceCp;
      }
    }
    parts.push(text.slice(startIdx, endIdx));
    startIdx = endIdx;
    startCp = endCp;
  } while (startIdx < n);
  return parts;
}

export interface JsonParts {
  /** Compact JSON documents, in order; `part` inside each is 1-based and `parts` is their count. */
  parts: string[];
  /** 0-based indexes of parts over `maxBytes`: one item (or the header) too big for any part. */
  oversized: number[];
}

function digits(n: number): number {
  return String(n).length;
}

/**
 * `items` spread over JSON documents of at most `maxBytes` UTF-8 bytes, never splitting an item:
 * the first is `{...header, part: 1, parts, [itemsKey]: [...]}`, later ones
 * `{...identity, part, parts, [itemsKey]: [...]}` (`identity` being a few fields naming the whole, such
 * as `{transcript_id}`). Concatenating the `itemsKey` arrays of all parts gives `items` back.
 *
 * Hard cases, reported in `oversized` rather than thrown so the caller decides (serve, or say which
 * item is too large): an item too big for a part on its own gets a part to itself; a header too big
 * for the first part goes out with no items. When the header fits but not with the first item, the
 * first part carries the header and an empty array.
 */
export function splitJsonParts(
  header: Record<string, unknown>,
  items: readonly unknown[],
  maxBytes: number,
  itemsKey = 'sentences',
  identity: Record<string, unknown> = {},
): JsonParts {
  // The items key is written last by us; a copy in header or identity would make a duplicate key.
  const { [itemsKey]: _h, ...head } = header;
  const { [itemsKey]: _i, ...ident } = identity;
  // Items are serialized once; parts are built by joining these (undefined becomes null, as in arrays).
  const json = items.map((item) => JSON.stringify(item) ?? 'null');
  const sizes = json.map((s) => Buffer.byteLength(s));
  const tail = `,${JSON.stringify(itemsKey)}:[`;
  const tailBytes = Buffer.byteLength(tail) + 2; // ...and the closing ]}
  const prefix = (part: number, parts: number): string => {
    const base = part === 1 ? head : ident;
    return JSON.stringify({ ...base, part, parts }).slice(0, -1);
  };
  // Byte sizes depend on how many digits `parts` has, unknown until packed: pack assuming d digits and
  // repack with more while the count needs them (sizes only grow with d, so this ends at once or twice).
  for (let d = 1; ; d++) {
    const assumed = 10 ** (d - 1);
    const ranges = pack(sizes, maxBytes, (part) => Buffer.byteLength(prefix(part, assumed)) + tailBytes);
    if (digits(ranges.length) > d) continue;
    const parts: string[] = [];
    const oversized: number[] = [];
    ranges.forEach(([from, to], k) => {
      const doc = `${prefix(k + 1, ranges.length)}${tail}${json.slice(from, to).join(',')}]}`;
      if (Buffer.byteLength(doc) > maxBytes) oversized.push(k);
      parts.push(doc);
    });
    return { parts, oversized };
  }
}

/** Greedy packing of item sizes into [from, to) ranges given each part's fixed overhead. */
function pack(sizes: number[], maxBytes: number, overhead: (part: number) => number): [number, number][] {
  const ranges: [number, number][] = [];
  let i = 0;
  do {
    const part = ranges.length + 1;
    let bytes = overhead(part);
    const from = i;
    while (i < sizes.length) {
      const add = sizes[i]! + (i > from ? 1 : 0); // the comma between items
      // Over the cap: stop, unless this would leave a later part empty (an item alone goes anyway).
      if (bytes + add > maxBytes && (i > from || part === 1)) break;
      bytes += add;
      i++;
    }
    ranges.push([from, i]);
  } while (i < sizes.length);
  return ranges;
}
