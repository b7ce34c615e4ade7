/**
 * Compact JSON in pieces of about `chunkChars` characters whose concatenation is exactly
 * `JSON.stringify(value)` (for data: a getter may be read more than once). A 12-hour transcript with
 * word timings is tens of MB of JSON; written piece by piece it never exists as one string (nor as one
 * Buffer of the same size), which is most of what saving it used to cost at the server's peak.
 */

export interface JsonPiecesOptions {
  /** About how many characters each piece has (one value larger than that is one piece). */
  chunkChars?: number;
  /** Values with fewer nodes than this are serialized whole, with one JSON.stringify. */
  smallNodes?: number;
}

/** Nothing, like JSON.stringify's `undefined`, for a value JSON cannot hold (undefined, a function). */
export function* jsonPieces(value: unknown, opts: JsonPiecesOptions = {}): Generator<string> {
  const chunkChars = opts.chunkChars ?? 1 << 20;
  const small = opts.smallNodes ?? 2000;
  const root = resolved(value, '');
  if (omitted(root)) return;
  let pending = '';
  for (const piece of tokens(root, small)) {
    pending += piece;
    if (pending.length >= chunkChars) {
      yield pending;
      pending = '';
    }
  }
  if (pending) yield pending;
}

/** `v` has had its toJSON() applied already (JSON.stringify applies it once per value). */
function* tokens(v: unknown, small: number): Generator<string> {
  if (v === null || typeof v !== 'object' || isBoxed(v)) {
    yield JSON.stringify(v);
    return;
  }
  // A value with a toJSON of its own was itself returned by a toJSON(): serialized as it is, not again.
  if (typeof (v as { toJSON?: unknown }).toJSON !== 'function' && isSmall(v, small)) {
    yield JSON.stringify(v);
    return;
  }
  if (Array.isArray(v)) {
    yield '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) yield ',';
      const item = resolved(v[i], String(i));
      // Inside arrays, what JSON cannot hold (undefined, functions, symbols) is null.
      yield* omitted(item) ? ['null'] : tokens(item, small);
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  for (const key of Object.keys(v)) {
    const item = resolved((v as Record<string, unknown>)[key], key);
    if (omitted(item)) continue;
    yield `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    yield* tokens(item, small);
  }
  yield '}';
}

/** What JSON.stringify serializes in place of a value: its toJSON(key), if it has one. */
function resolved(value: unknown, key: string): unknown {
  const withJson = value as { toJSON?: (key: string) => unknown } | null;
  return typeof withJson?.toJSON === 'function' ? withJson.toJSON(key) : value;
}

/** What JSON.stringify leaves out of an object (and writes as null in an array). */
function omitted(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/** new Number(1), new String('a'), new Boolean(true): JSON.stringify writes their primitive values. */
function isBoxed(v: object): boolean {
  return v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt;
}

/** Whether a value has fewer than `small` nodes; counts no further than that. */
function isSmall(root: object, small: number): boolean {
  let budget = small;
  const stack: object[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (--budget <= 0) return false;
      if (child && typeof child === 'object') stack.push(child);
    }
  }
  return true;
}
