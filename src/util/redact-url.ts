/**
 * Masks credentials in caller-supplied http(s) URLs before they are saved or listed (task records,
 * transcript JSON, resources, error messages): presigned links to a user's own bucket stay valid for
 * hours or days, so a listing must not replay them to whoever can read it.
 *
 * String surgery rather than `new URL().toString()`: the rest of the URL stays byte-identical (no
 * re-encoded path, no reordered or re-escaped query), so a masked URL is still recognisable.
 */

/**
 * Query (and fragment) parameters whose values are masked, compared case-insensitively.
 * Credentials and signatures only: the harmless parts of a presigned URL (X-Amz-Date, X-Amz-Expires,
 * Expires, X-Amz-Algorithm, X-Amz-SignedHeaders, x-oss-date, sv, se, sp…) stay visible because they
 * tell a reader when and how a link expires. `key` is included on purpose, for API keys
 * (`?key=…` on Google APIs); the cost is that an innocent `key=` parameter is masked too.
 */
export const SENSITIVE_QUERY_PARAMS: readonly string[] = [
  // AWS SigV4 / S3-compatible stores
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'awsaccesskeyid',
  // Alibaba Cloud OSS (V1 and V4) and STS
  'signature',
  'ossaccesskeyid',
  'accesskeyid',
  'security-token',
  'x-oss-signature',
  'x-oss-credential',
  'x-oss-security-token',
  // Google Cloud Storage
  'x-goog-signature',
  'x-goog-credential',
  'googleaccessid',
  // Azure SAS
  'sig',
  // Generic tokens, keys and passwords
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'api_key',
  'apikey',
  'key',
  'password',
  'secret',
];

const SENSITIVE = new Set(SENSITIVE_QUERY_PARAMS);
const MASK = '***';

/**
 * Leading spaces/control characters, then http or https, then any slashes or backslashes: WHATWG
 * URL parsing (what fetch uses) accepts all of these, so the masking must recognise them too.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: WHATWG strips C0 controls before the scheme
const HTTP_PREFIX = /^[\x00-\x20]*https?:[/\\]*/i;

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/** Masks sensitive `name=value` pairs of a query or fragment, leaving every other byte alone. */
function maskParams(params: string): string {
  return params
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1 || eq === pair.length - 1) return pair; // no value: nothing to hide
      return SENSITIVE.has(decodeName(pair.slice(0, eq))) ? `${pair.slice(0, eq + 1)}${MASK}` : pair;
    })
    .join('&');
}

function surgery(url: string): string {
  const prefix = HTTP_PREFIX.exec(url)?.[0];
  if (prefix === undefined) return url;
  const rest = url.slice(prefix.length);
  // The authority ends at the first / \ ? or # (backslash counts for http(s) in WHATWG parsing), so
  // an @ later in the path is not userinfo. Userinfo is everything up to the authority's last @.
  const authorityEnd = rest.search(/[/\\?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  let tail = authorityEnd === -1 ? '' : rest.slice(authorityEnd);
  const at = authority.lastIndexOf('@');
  const host = at === -1 ? authority : `${MASK}@${authority.slice(at + 1)}`;

  const hash = tail.indexOf('#');
  let fragment = '';
  if (hash !== -1) {
    fragment = tail.slice(hash);
    tail = tail.slice(0, hash);
  }
  const q = tail.indexOf('?');
  if (q !== -1) tail = `${tail.slice(0, q + 1)}${maskParams(tail.slice(q + 1))}`;
  // Fragments are not sent to servers but are saved with the URL; OAuth puts access_token there.
  if (fragment.includes('=')) fragment = `#${maskParams(fragment.slice(1))}`;
  return `${prefix}${host}${tail}${fragment}`;
}

/**
 * True when a WHATWG parse of `url` (as fetch would do it) still finds http(s) credentials that the
 * surgery did not mask, e.g. a tab inside the scheme, which the parser drops and the prefix test misses.
 */
function stillLeaks(url: string): boolean {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
    if (parsed.password !== '' || (parsed.username !== '' && parsed.username !== MASK)) return true;
    for (const name of parsed.searchParams.keys()) {
      if (
        SENSITIVE.has(name.toLowerCase()) &&
        parsed.searchParams.getAll(name).some((v) => v !== '' && v !== MASK)
      ) {
        return true;
      }
    }
    return false;
  } catch {
    return false; // fetch could not use it either
  }
}

/**
 * `https://user:pw@host/p?X-Amz-Signature=abc&X-Amz-Date=…` → `https://***@host/p?X-Amz-Signature=***&X-Amz-Date=…`.
 * Anything that is not an http(s) URL (local paths, oss:// keys, data: URIs) is returned unchanged.
 * Never throws; if the result would still parse to a credential, a fully masked placeholder is returned.
 */
export function redactUrl(url: string): string {
  if (typeof url !== 'string') return url;
  try {
    const masked = HTTP_PREFIX.test(url) ? surgery(url) : url;
    return stillLeaks(masked) ? fallback(masked) : masked;
  } catch {
    return '[redacted URL]';
  }
}

/** Last resort for inputs the surgery misreads: keep scheme and host only. */
function fallback(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/[redacted]`;
  } catch {
    return '[redacted URL]';
  }
}

/**
 * Every http(s) URL inside free text (error messages, listings) is masked. A URL runs to whitespace,
 * a quote or an angle bracket; trailing punctuation that usually belongs to the sentence is left out.
 */
export function redactUrlsInText(text: string): string {
  if (typeof text !== 'string') return text;
  try {
    return text.replace(/https?:\/\/[^\s"'<>`]+/gi, (match) => {
      const trailing = /[.,;:!?)\]}]+$/.exec(match)?.[0] ?? '';
      const url = match.slice(0, match.length - trailing.length);
      return `${redactUrl(url)}${trailing}`;
    });
  } catch {
    return text;
  }
}
