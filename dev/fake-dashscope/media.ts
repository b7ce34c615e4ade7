/**
 * The "internet" the fake's service can download from: media registered by tests under /media/<name>,
 * standing in for public URLs and private buckets. Also how the fake learns a duration from bytes it
 * was sent (a data URI or an upload).
 */
import { containerOf } from './magic.js';
import { ossError } from './reply.js';
import type { FakeState, Media, RequestContext } from './types.js';

export function serveMedia(ctx: RequestContext): void {
  const media = ctx.state.media.get(decodeURIComponent(ctx.params.name ?? ''));
  if (!media) return ossError(ctx.res, 404, 'NoSuchKey', 'The specified key does not exist.');
  if (media.forbidden)
    return ossError(ctx.res, 403, 'AccessDenied', 'You have no right to access this object.');
  ctx.res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': '0' });
  ctx.res.end();
}

/** The registered media a URL points at, when it points at this fake's /media/. */
export function mediaFor(state: FakeState, ref: string): Media | undefined {
  const prefix = `${state.url}/media/`;
  if (!ref.startsWith(prefix)) return undefined;
  return state.media.get(decodeURIComponent(ref.slice(prefix.length).split('?')[0]!));
}

/**
 * Seconds of audio, read from a WAV header; undefined for anything else. WAV is the one container whose
 * duration sits in its first bytes, and it is enough for the fake to enforce the sync duration limits.
 */
export function headerDurationS(bytes: Buffer): number | undefined {
  if (containerOf(bytes) !== 'wav' || bytes.length < 44) return undefined;
  const byteRate = bytes.readUInt32LE(28);
  const dataAt = bytes.indexOf('data', 12);
  if (dataAt < 0 || !byteRate) return undefined;
  return bytes.readUInt32LE(dataAt + 4) / byteRate;
}
