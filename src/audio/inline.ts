/**
 * Audio sent inline: a `data:` URI (base64) of up to INLINE_AUDIO_MAX_BYTES decoded bytes, checked by
 * its bytes like a file. The data is held in memory only; what is saved or shown of it is `summary`.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../domain/errors.js';
import { bufferByteSource, type DurationEstimate, readDuration } from './duration.js';
import { describeUnknown, type SniffResult, sniff } from './sniff.js';

/** 7 MiB decoded: its base64 (9.33 MiB) fits a sync model's 10 MB data URI and a 10 MiB HTTP body. */
const INLINE_AUDIO_MAX_BYTES = 7 * 1024 * 1024;
const LIMIT_TEXT = '7 MiB (7,340,032 bytes)';

export interface InlineAudio {
  /** The data URI to send, rebuilt with the sniffed MIME type. */
  uri: string;
  name: string;
  size: number;
  format: SniffResult;
  duration: DurationEstimate | undefined;
  sha256: string;
  /** The decoded bytes (for a temporary upload when the audio is too long to send inline). */
  data: Buffer;
  /** `data:<mime>;base64,… (<n> bytes, sha256 <hex>)`: what results and saved files show. */
  summary: string;
}

export function isDataUri(audio: string): boolean {
  return /^\s*data:/i.test(audio);
}

export async function resolveInlineAudio(input: string): Promise<InlineAudio> {
  const audio = input.trim();
  const comma = audio.indexOf(',');
  const header = comma < 0 ? '' : audio.slice(0, comma);
  if (!/^data:[^,;]*(;[^,;=]+=[^,;]*)*;base64$/i.test(header)) {
    throw new InputError(
      '`audio` is a data URI but not a base64 one. Send `data:<mime>;base64,<data>`, a local path or a URL.',
    );
  }
  const payload = audio.slice(comma + 1).replace(/\s+/g, '');
  // Refused on its length before any decoding: 4 characters carry 3 bytes.
  const approx = Math.floor((payload.length * 3) / 4);
  if (approx - 2 > INLINE_AUDIO_MAX_BYTES) {
    throw new InputError(
      `The inline audio is about ${mib(approx)} (${approx.toLocaleString('en-US')} bytes), over the inline limit of ${LIMIT_TEXT}. Nothing was sent.`,
      {
        hint: 'Pass a local path or an http(s) URL for longer recordings (up to 12 h), or send a shorter one.',
      },
    );
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload) || payload.length % 4 === 1) {
    throw new InputError('`audio` is a data URI whose base64 data is malformed. Nothing was sent.');
  }
  const bytes = Buffer.from(payload, 'base64');
  if (bytes.length === 0) throw new InputError('`audio` is an empty data URI. Send a recording.');
  if (bytes.length > INLINE_AUDIO_MAX_BYTES) {
    throw new InputError(
      `The inline audio is ${mib(bytes.length)} (${bytes.length.toLocaleString('en-US')} bytes), over the inline limit of ${LIMIT_TEXT}. Nothing was sent.`,
      {
        hint: 'Pass a local path or an http(s) URL for longer recordings (up to 12 h), or send a shorter one.',
      },
    );
  }
  const format = sniff(bytes.subarray(0, 4096), '');
  if (!format) {
    throw new InputError(
      `The inline audio is ${describeUnknown(bytes.subarray(0, 4096))}, not an audio or video file. Nothing was sent.`,
    );
  }
  const duration = await readDuration(bufferByteSource(bytes), format.container);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return {
    uri: `data:${format.mime};base64,${bytes.toString('base64')}`,
    name: `inline-${sha256.slice(0, 12)}.${format.container}`,
    size: bytes.length,
    format,
    duration,
    sha256,
    data: bytes,
    summary: `data:${format.mime};base64,… (${bytes.length} bytes, sha256 ${sha256})`,
  };
}

function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}
