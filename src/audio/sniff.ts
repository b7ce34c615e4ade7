/**
 * Container detection by magic bytes. A file's name can lie; its first bytes rarely do, and refusing a
 * non-audio file here means it is never read further nor sent anywhere.
 */

export type Container =
  | 'wav'
  | 'avi'
  | 'aiff'
  | 'mp3'
  | 'aac'
  | 'mpeg'
  | 'flac'
  | 'ogg'
  | 'opus'
  | 'mp4'
  | 'm4a'
  | 'mov'
  | 'webm'
  | 'mkv'
  | 'amr'
  | 'wma'
  | 'wmv'
  | 'flv';

export interface SniffResult {
  container: Container;
  mime: string;
  /** Human name for messages. */
  label: string;
}

const MIME: Record<Container, string> = {
  wav: 'audio/wav',
  avi: 'video/x-msvideo',
  aiff: 'audio/aiff',
  mp3: 'audio/mpeg',
  aac: 'audio/aac',
  mpeg: 'video/mpeg',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  opus: 'audio/opus',
  mp4: 'video/mp4',
  m4a: 'audio/mp4',
  mov: 'video/quicktime',
  webm: 'audio/webm',
  mkv: 'video/x-matroska',
  amr: 'audio/amr',
  wma: 'audio/x-ms-wma',
  wmv: 'video/x-ms-wmv',
  flv: 'video/x-flv',
};

const LABEL: Record<Container, string> = {
  wav: 'WAV',
  avi: 'AVI',
  aiff: 'AIFF',
  mp3: 'MP3',
  aac: 'AAC (ADTS)',
  mpeg: 'MPEG program/transport stream',
  flac: 'FLAC',
  ogg: 'Ogg Vorbis',
  opus: 'Ogg Opus',
  mp4: 'MP4',
  m4a: 'M4A',
  mov: 'QuickTime MOV',
  webm: 'WebM',
  mkv: 'Matroska (MKV)',
  amr: 'AMR',
  wma: 'WMA (ASF)',
  wmv: 'WMV (ASF)',
  flv: 'FLV',
};

/** How many leading bytes `sniff` wants to see. */
export const SNIFF_BYTES = 4096;

function describeContainer(container: Container): SniffResult {
  return { container, mime: MIME[container], label: LABEL[container] };
}

/**
 * @param head the first bytes of the file (SNIFF_BYTES is enough)
 * @param fileName used only to tell WMA from WMV, which share the ASF container
 */
export function sniff(head: Buffer, fileName = ''): SniffResult | undefined {
  const c = sniffContainer(head, fileName);
  return c ? describeContainer(c) : undefined;
}

function ascii(buf: Buffer, start: number, end: number): string {
  return buf.subarray(start, end).toString('latin1');
}

function sniffContainer(b: Buffer, fileName: string): Container | undefined {
  if (b.length < 4) return undefined;
  const tag4 = ascii(b, 0, 4);
  if (tag4 === 'RIFF' && b.length >= 12) {
    const form = ascii(b, 8, 12);
    if (form === 'WAVE') return 'wav';
    if (form === 'AVI ') return 'avi';
    return undefined;
  }
  if (tag4 === 'RF64' && ascii(b, 8, 12) === 'WAVE') return 'wav';
  if (tag4 === 'FORM' && b.length >= 12) {
    const form = ascii(b, 8, 12);
    if (form === 'AIFF' || form === 'AIFC') return 'aiff';
    return undefined;
  }
  if (tag4 === 'fLaC') return 'flac';
  if (tag4 === 'OggS') return b.includes(Buffer.from('OpusHead')) ? 'opus' : 'ogg';
  if (ascii(b, 0, 3) === 'FLV') return 'flv';
  if (ascii(b, 0, 5) === '#!AMR') return 'amr';
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) {
    // EBML: the DocType element (0x4282) says webm or matroska.
    const docType = b.subarray(0, Math.min(b.length, 64)).toString('latin1');
    return docType.includes('webm') ? 'webm' : 'mkv';
  }
  if (b.length >= 16 && b.subarray(0, 16).equals(ASF_HEADER_GUID)) {
    return /\.wmv$/i.test(fileName) || b.includes(ASF_VIDEO_MEDIA_GUID) ? 'wmv' : 'wma';
  }
  if (b.length >= 12 && ascii(b, 4, 8) === 'ftyp') {
    const brand = ascii(b, 8, 12);
    if (brand.startsWith('M4A') || brand.startsWith('M4B')) return 'm4a';
    if (brand === 'qt  ') return 'mov';
    return 'mp4';
  }
  if (b.length >= 8 && ['moov', 'mdat', 'wide', 'free', 'skip'].includes(ascii(b, 4, 8))) return 'mov';
  if (b[0] === 0x00 && b[1] === 0x00 && b[2] === 0x01 && b[3] === 0xba) return 'mpeg';
  if (b[0] === 0x47 && (b.length < 189 || b[188] === 0x47)) return b.length >= 189 ? 'mpeg' : undefined;
  if (ascii(b, 0, 3) === 'ID3') {
    // An ID3v2 tag may front MP3 or ADTS AAC; look past it when the bytes are there.
    const size = syncSafe(b, 6);
    const after = 10 + size + ((b[5] ?? 0) & 0x10 ? 10 : 0);
    if (after + 2 <= b.length) {
      const frame = frameSyncKind(b, after);
      if (frame) return frame;
    }
    return 'mp3';
  }
  return frameSyncKind(b, 0);
}

function frameSyncKind(b: Buffer, at: number): 'mp3' | 'aac' | undefined {
  const b0 = b[at];
  const b1 = b[at + 1];
  if (b0 !== 0xff || b1 === undefined || (b1 & 0xe0) !== 0xe0) return undefined;
  const layer = (b1 >> 1) & 0x03;
  if ((b1 & 0xf0) === 0xf0 && layer === 0) return 'aac';
  return layer === 0 ? undefined : 'mp3';
}

export function syncSafe(b: Buffer, at: number): number {
  return (
    (((b[at] ?? 0) & 0x7f) << 21) |
    (((b[at + 1] ?? 0) & 0x7f) << 14) |
    (((b[at + 2] ?? 0) & 0x7f) << 7) |
    ((b[at + 3] ?? 0) & 0x7f)
  );
}

const ASF_HEADER_GUID = Buffer.from('3026b2758e66cf11a6d900aa0062ce6c', 'hex');
const ASF_VIDEO_MEDIA_GUID = Buffer.from('c0ef19bc4d5bcf11a8fd00805f5c442b', 'hex');

/** What a refused file looks like, for the error message. */
export function describeUnknown(head: Buffer): string {
  if (head.length === 0) return 'an empty file';
  const text = head.subarray(0, 64).toString('utf8');
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'a PDF document';
  if (head[0] === 0x50 && head[1] === 0x4b) return 'a ZIP archive (or an Office document)';
  if (head[0] === 0x89 && head.subarray(1, 4).toString('latin1') === 'PNG') return 'a PNG image';
  if (head[0] === 0xff && head[1] === 0xd8) return 'a JPEG image';
  if (head.subarray(0, 4).toString('latin1') === 'GIF8') return 'a GIF image';
  if (head.subarray(0, 4).toString('latin1') === '\x7fELF') return 'an executable (ELF)';
  if (/-----BEGIN [A-Z ]+-----/.test(text)) return 'a PEM key or certificate';
  const printable = [...head.subarray(0, 512)].every(
    (c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 128,
  );
  if (printable) return 'a text file';
  return `unrecognized binary data (first bytes ${head.subarray(0, 8).toString('hex')})`;
}
