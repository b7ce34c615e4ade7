/**
 * Compact JSON in pieces of about `chunkChars` characters whose concatenation is exactly
 * `JSON.stringify(value)`. A 12-hour transcript with word timings is tens of MB of JSON; written piece
 * by piece it never exists as one string (nor as one Buffer of the same size), which is most of what
 * saving it used to cost at the server's peak.
 */

export interface JsonPiecesOptions {
  /** About how long each piece is (the last may be shorter). */
  chunkChars?: number;
  /** Values with fewer nodes than this are serialized whole, with one JSON.stringify. */
  smallNodes?: number;
}

export function* jsonPieces(value: unknown, opts: JsonPiecesOptions = {}): Generator<string> {
  const chunkChars = opts.chunkChars ?? 1 << 20;
  const small = opts.smallNodes ?? 2000;
  let pending = '';
  for (const piece of tokens(value, '', small)) {
    pending += piece;
    if (pending.length >= chunkChars) {
      yield pending;
      pending = '';
    }
  }
  if (pending) yield pending;
}

function* tokens(value: unknown, key: string, small: number): Generator<string> {
  const v = toJsonValue(value, key);
  if (v === null || typeof v !== 'object' || isSmall(v, small)) {
    yield JSON.stringify(v) ?? 'null';
    return;
  }
  if (Array.isArray(v)) {
    yield '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) yield ',';
      // Inside arrays, what JSON cannot hold (undefined, functions, symbols) is null.
      yield* tokens(omitted(v[i], String(i)) ? null : v[i], String(i), small);
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  for (const k of Object.keys(v)) {
    const item = (v as Record<string, unknown>)[k];
    if (omitted(item, k)) continue;
    yield `${first ? '' : ','}${JSON.stringify(k)}:`;
    first = false;
    yield* tokens(item, k, small);
  }
  yield '}';
}

/** What JSON.stringify would serialize in place of the value: its toJSON(), if it has one. */
function toJsonValue(value: unknown, key: string): unknown {
  const withJson = value as { toJSON?: (key: string) => unknown } | null;
  return typeof withJson?.toJSON === 'function' ? withJson.toJSON(key) : value;
}

/** A property JSON.stringify leaves out of an object. */
function omitted(value: unknown, key: string): boolean {
  const v = toJsonValue(value, key);
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/** Whether a value has fewer than `small` nodes; stops counting there. */
function isSmall(root: object, small: number): boolean {
  let budget = small;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (--budget <= 0) return false;
    if (node && typeof node === 'object') {
      for (const child of Array.isArray(node) ? node : Object.values(node)) {
        if (child && typeof child === 'object') stack.push(child);
        else if (--budget <= 0) return false;
      }
    }
  }
  return true;
}
