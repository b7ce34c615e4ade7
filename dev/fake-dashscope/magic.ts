/**
 * The fake's own container recognition by magic numbers, written apart from the client's sniffer on
 * purpose: if the two shared a table, a wrong entry would make the client and the fake agree on the same
 * mistake, and no test could notice it.
 *
 * It answers "which container do these first bytes open?" for the containers the service accepts. The
 * fake itself only acts on WAV (it reads a duration from the header); the rest lets tests check the
 * table against real recordings, and lets a future check refuse what the service could not decode.
 */

export type Container =
  | 'wav'
  | 'avi'
  | 'aiff'
  | 'flac'
  | 'ogg'
  | 'opus'
  | 'webm'
  | 'mkv'
  | 'mp4'
  | 'm4a'
  | 'mov'
  | 'amr'
  /** WMA and WMV share the ASF container; the fake has no reason to tell them apart. */
  | 'asf'
  | 'flv'
  | 'mpeg'
  | 'mp3'
  | 'aac';

interface Signature {
  container: Container;
  matches: (b: Buffer) => boolean;
}

const EBML = '\x1a\x45\xdf\xa3';
const ASF_HEADER = '\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c';
const MPEG_PACK = '\x00\x00\x01\xba';
const TS_PACKET = 188;

/** `text` (latin1, so any byte value) sits at `offset`. */
function at(b: Buffer, offset: number, text: string): boolean {
  return b.length >= offset + text.length && b.toString('latin1', offset, offset + text.length) === text;
}

function within(b: Buffer, end: number, text: string): boolean {
  return b.subarray(0, end).includes(text, 0, 'latin1');
}

/** ID3v2 tag length: a 10-byte header whose size is stored 7 bits per byte, plus an optional footer. */
function afterId3(b: Buffer): number {
  if (!at(b, 0, 'ID3') || b.length < 10) return 0;
  const size = ((b[6]! & 0x7f) << 21) | ((b[7]! & 0x7f) << 14) | ((b[8]! & 0x7f) << 7) | (b[9]! & 0x7f);
  const footer = b[5]! & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

/**
 * MPEG audio frame header at `i`: 11 sync bits, then version and layer. Layer bits 00 are reserved in
 * MPEG audio but mark ADTS (AAC), which keeps 12 sync bits.
 */
function frameAt(b: Buffer, i: number): 'mp3' | 'aac' | undefined {
  const b0 = b[i];
  const b1 = b[i + 1];
  if (b0 !== 0xff || b1 === undefined || (b1 & 0xe0) !== 0xe0) return undefined;
  const layer = (b1 >> 1) & 0x03;
  if (layer !== 0) return 'mp3';
  return (b1 & 0xf0) === 0xf0 ? 'aac' : undefined;
}

/** Raw MPEG audio, or the same behind an ID3v2 tag. */
function audioFrame(b: Buffer): 'mp3' | 'aac' | undefined {
  const start = afterId3(b);
  if (start === 0) return frameAt(b, 0);
  // An ID3v2 tag is an MP3 habit (padding may follow it); only an ADTS header right behind it says AAC.
  return frameAt(b, start) === 'aac' ? 'aac' : 'mp3';
}

/** Order matters: the narrower signature of a shared prefix comes first. */
const SIGNATURES: readonly Signature[] = [
  { container: 'wav', matches: (b) => (at(b, 0, 'RIFF') || at(b, 0, 'RF64')) && at(b, 8, 'WAVE') },
  { container: 'avi', matches: (b) => at(b, 0, 'RIFF') && at(b, 8, 'AVI ') },
  { container: 'aiff', matches: (b) => at(b, 0, 'FORM') && (at(b, 8, 'AIFF') || at(b, 8, 'AIFC')) },
  { container: 'flac', matches: (b) => at(b, 0, 'fLaC') },
  // An Ogg stream names its codec in the first page: Opus says "OpusHead".
  { container: 'opus', matches: (b) => at(b, 0, 'OggS') && within(b, 512, 'OpusHead') },
  { container: 'ogg', matches: (b) => at(b, 0, 'OggS') },
  // Matroska and WebM are both EBML; the DocType element near the start says which.
  { container: 'webm', matches: (b) => at(b, 0, EBML) && within(b, 64, 'webm') },
  { container: 'mkv', matches: (b) => at(b, 0, EBML) },
  // ISO base media: the `ftyp` box's major brand tells audio-only M4A and QuickTime from MP4.
  { container: 'm4a', matches: (b) => at(b, 4, 'ftyp') && (at(b, 8, 'M4A') || at(b, 8, 'M4B')) },
  { container: 'mov', matches: (b) => at(b, 4, 'ftyp') && at(b, 8, 'qt  ') },
  { container: 'mp4', matches: (b) => at(b, 4, 'ftyp') },
  { container: 'amr', matches: (b) => at(b, 0, '#!AMR') },
  { container: 'asf', matches: (b) => at(b, 0, ASF_HEADER) },
  { container: 'flv', matches: (b) => at(b, 0, 'FLV\x01') },
  { container: 'mpeg', matches: (b) => at(b, 0, MPEG_PACK) },
  // A transport stream has no header, only a sync byte every 188 bytes: ask for two of them.
  { container: 'mpeg', matches: (b) => b[0] === 0x47 && b[TS_PACKET] === 0x47 },
  { container: 'aac', matches: (b) => audioFrame(b) === 'aac' },
  { container: 'mp3', matches: (b) => audioFrame(b) === 'mp3' },
];

/** The container the first bytes of a file open, or undefined for anything else (text, noise). */
export function containerOf(head: Buffer): Container | undefined {
  return SIGNATURES.find((s) => s.matches(head))?.container;
}
