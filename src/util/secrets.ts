/**
 * The secrets this process holds (the API key, once read), and the one function that masks them in
 * any text about to leave it: errors, logs, results and files all pass through `scrub`.
 */
const secrets = new Set<string>();

export function registerSecret(secret: string): void {
  if (secret.length >= 4) secrets.add(secret);
}

/** Masks every registered secret and any bearer token, wherever it came from. */
export function scrub(text: string): string {
  let out = text;
  for (const s of secrets) out = redact(out, s);
  return redact(out);
}

export function redact(text: string, secret?: string): string {
  let out = text;
  if (secret && secret.length >= 4) out = out.split(secret).join('***');
  // Bearer tokens that leaked into a message from elsewhere (an echoed header, say).
  return out.replace(/(Bearer\s+)[A-Za-z0-9._~+/-]{8,}=*/gi, '$1***');
}
