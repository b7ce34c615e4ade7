/**
 * Duration from container headers, without decoding. Each reader touches a few kilobytes at known places
 * (the start, an index atom, the last Ogg page), so a two-hour file costs the same as a two-second one.
 * Every reader returns undefined rather than guess when the header is not what it expects.
 *
 * Over 300 lines on purpose: one small reader per container (WAV, AIFF, MP3, FLAC, MP4, Ogg, WebM,
 * WMA, FLV, AAC, AMR, AVI) sharing the same byte-reading helpers; each reader is read on its own.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Container } from './sniff.js';
import { syncSafe } from './sniff.js';

export interface ByteSource {
  size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

export function fileByteSource(handle: FileHandle, size: number): ByteSource {
  return {
    size,
    async read(offset, length) {
      const len = Math.max(0, Math.min(length, size - offset));
      const buf = Buffer.alloc(len);
      if (len === 0) return buf;
      const { bytesRead } = await handle.read(buf, 0, len, offset);
      return buf.subarray(0, bytesRead);
    },
  };
}

export function bufferByteSource(buf: Buffer): ByteSource {
  return { size: buf.length, read: async (o, l) => buf.subarray(o, Math.min(buf.length, o + l)) };
}

export interface DurationEstimate {
  seconds: number;
  /** true when computed from an average bitrate (CBR MP3 without a Xing header, long ADTS). */
  estimated: boolean;
}

export async function readDuration(
  src: ByteSource,
  container: Container,
): Promise<DurationEstimate | undefined> {
  try {
    const exact = (s: number | undefined) =>
      s !== undefined && Number.isFinite(s) && s >= 0 ? { seconds: s, estimated: false } : undefined;
    switch (container) {
      case 'wav':
        return exact(await wavDuration(src));
      case 'aiff':
        return exact(await aiffDuration(src));
      case 'flac':
        return exact(await flacDuration(src));
      case 'mp3':
        return await mp3Duration(src);
      case 'mp4':
      case 'm4a':
      case 'mov':
        return exact(await mp4Duration(src));
      case 'ogg':
      case 'opus':
        return exact(await oggDuration(src));
      case 'webm':
      case 'mkv':
        return exact(await matroskaDuration(src));
      case 'wma':
      case 'wmv':
        return exact(await asfDuration(src));
      case 'flv':
        return exact(await flvDuration(src));
      case 'aac':
        return await adtsDuration(src);
      case 'amr':
        return exact(await amrDuration(src));
      case 'avi':
        return exact(await aviDuration(src));
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

async function wavDuration(src: ByteSource): Promise<number | undefined> {
  const head = await src.read(0, 64 * 1024);
  let pos = 12;
  let byteRate: number | undefined;
  while (pos + 8 <= head.length) {
    const id = head.toString('latin1', pos, pos + 4);
    const size = head.readUInt32LE(pos + 4);
    if (id === 'fmt ' && pos + 16 <= head.length) byteRate = head.readUInt32LE(pos + 16);
    if (id === 'data') {
      if (!byteRate) return undefined;
      // Streamed WAVs often carry 0 or 0xFFFFFFFF here; the file's own length is then the truth.
      const available = src.size - (pos + 8);
      const dataSize = size === 0 || size === 0xffffffff || size > available ? available : size;
      return dataSize / byteRate;
    }
    pos += 8 + size + (size % 2);
  }
  return undefined;
}

async function aiffDuration(src: ByteSource): Promise<number | undefined> {
  const head = await src.read(0, 64 * 1024);
  let pos = 12;
  while (pos + 8 <= head.length) {
    const id = head.toString('latin1', pos, pos + 4);
    const size = head.readUInt32BE(pos + 4);
    if (id === 'COMM' && pos + 26 <= head.length) {
      const frames = head.readUInt32BE(pos + 10);
      const rate = extended80(head, pos + 16);
      return rate > 0 ? frames / rate : undefined;
    }
    pos += 8 + size + (size % 2);
  }
  return undefined;
}

/** IEEE 754 80-bit extended, as AIFF stores its sample rate. */
function extended80(b: Buffer, at: number): number {
  const exponent = b.readUInt16BE(at) & 0x7fff;
  const hi = b.readUInt32BE(at + 2);
  const lo = b.readUInt32BE(at + 6);
  if (exponent === 0 && hi === 0 && lo === 0) return 0;
  return (hi * 2 ** 32 + lo) * 2 ** (exponent - 16383 - 63);
}

async function flacDuration(src: ByteSource): Promise<number | undefined> {
  const b = await src.read(0, 42);
  if (b.length < 26 || (b[4]! & 0x7f) !== 0) return undefined;
  const si = 8; // STREAMINFO body
  const rate = (b[si + 10]! << 12) | (b[si + 11]! << 4) | (b[si + 12]! >> 4);
  const total = (b[si + 13]! & 0x0f) * 2 ** 32 + b.readUInt32BE(si + 14);
  return rate > 0 && total > 0 ? total / rate : undefined;
}

const MP3_BITRATES: Record<string, number[]> = {
  // kbps by [version key][layer key], index 1..14
  V1L1: [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  V1L2: [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  V1L3: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  V2L1: [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  V2L2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  V2L3: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MP3_RATES: Record<number, number[]> = {
  3: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  0: [11025, 12000, 8000],
};

interface Mp3Frame {
  offset: number;
  version: number; // 3 = MPEG1, 2 = MPEG2, 0 = MPEG2.5
  layer: number; // 1..3
  bitrate: number; // bps
  sampleRate: number;
  mono: boolean;
  samplesPerFrame: number;
  length: number;
}

function parseMp3Frame(b: Buffer, at: number): Mp3Frame | undefined {
  if (at + 4 > b.length || b[at] !== 0xff || (b[at + 1]! & 0xe0) !== 0xe0) return undefined;
  const version = (b[at + 1]! >> 3) & 0x03;
  const layerBits = (b[at + 1]! >> 1) & 0x03;
  const bitrateIndex = b[at + 2]! >> 4;
  const rateIndex = (b[at + 2]! >> 2) & 0x03;
  const padding = (b[at + 2]! >> 1) & 0x01;
  if (version === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3)
    return undefined;
  const layer = 4 - layerBits;
  const table = MP3_BITRATES[`${version === 3 ? 'V1' : 'V2'}L${layer}`]!;
  const bitrate = table[bitrateIndex]! * 1000;
  const sampleRate = MP3_RATES[version]![rateIndex]!;
  const samplesPerFrame = layer === 1 ? 384 : layer === 3 && version !== 3 ? 576 : 1152;
  const length =
    layer === 1
      ? Math.floor(((12 * bitrate) / sampleRate + padding) * 4)
      : Math.floor((samplesPerFrame / 8) * (bitrate / sampleRate)) + padding;
  return {
    offset: at,
    version,
    layer,
    bitrate,
    sampleRate,
    mono: b[at + 3]! >> 6 === 3,
    samplesPerFrame,
    length,
  };
}

async function mp3Duration(src: ByteSource): Promise<DurationEstimate | undefined> {
  let start = 0;
  let head = await src.read(0, 10);
  if (head.toString('latin1', 0, 3) === 'ID3') start = 10 + syncSafe(head, 6) + (head[5]! & 0x10 ? 10 : 0);
  head = await src.read(start, 16 * 1024);
  // Find the first frame whose successor is where it says (skips junk that merely looks like a sync word).
  let frame: Mp3Frame | undefined;
  for (let i = 0; i + 4 <= head.length && !frame; i++) {
    const f = parseMp3Frame(head, i);
    if (!f) continue;
    const next = i + f.length;
    if (next + 4 > head.length || parseMp3Frame(head, next)) frame = f;
  }
  if (!frame) return undefined;
  const sideInfo = frame.version === 3 ? (frame.mono ? 17 : 32) : frame.mono ? 9 : 17;
  const xingAt = frame.offset + 4 + sideInfo;
  const tag = head.toString('latin1', xingAt, xingAt + 4);
  if ((tag === 'Xing' || tag === 'Info') && xingAt + 12 <= head.length) {
    const flags = head.readUInt32BE(xingAt + 4);
    if (flags & 0x1) {
      const frames = head.readUInt32BE(xingAt + 8);
      return { seconds: (frames * frame.samplesPerFrame) / frame.sampleRate, estimated: false };
    }
  }
  const vbriAt = frame.offset + 4 + 32;
  if (head.toString('latin1', vbriAt, vbriAt + 4) === 'VBRI' && vbriAt + 18 <= head.length) {
    const frames = head.readUInt32BE(vbriAt + 14);
    return { seconds: (frames * frame.samplesPerFrame) / frame.sampleRate, estimated: false };
  }
  // No frame count: estimate from the bitrate. Encoders may write the first frame at a higher rate
  // (LAME does, to fit its tag), so take the rate of the frame after it when there is one.
  const second = parseMp3Frame(head, frame.offset + frame.length);
  const bitrate = second?.bitrate ?? frame.bitrate;
  const tail = await src.read(Math.max(0, src.size - 128), 128);
  const audioBytes = src.size - (start + frame.offset) - (tail.toString('latin1', 0, 3) === 'TAG' ? 128 : 0);
  return { seconds: (audioBytes * 8) / bitrate, estimated: true };
}

async function mp4Duration(src: ByteSource): Promise<number | undefined> {
  // Walk top-level atoms to moov (it may sit after a huge mdat), then find mvhd inside it.
  let pos = 0;
  while (pos + 8 <= src.size) {
    const h = await src.read(pos, 16);
    if (h.length < 8) return undefined;
    let size = h.readUInt32BE(0);
    const type = h.toString('latin1', 4, 8);
    let headerLen = 8;
    if (size === 1) {
      size = Number(h.readBigUInt64BE(8));
      headerLen = 16;
    } else if (size === 0) {
      size = src.size - pos;
    }
    if (size < headerLen) return undefined;
    if (type === 'moov') {
      const moov = await src.read(pos + headerLen, Math.min(size - headerLen, 4 * 1024 * 1024));
      let inner = 0;
      while (inner + 8 <= moov.length) {
        const innerSize = moov.readUInt32BE(inner);
        if (moov.toString('latin1', inner + 4, inner + 8) === 'mvhd') {
          const body = inner + 8;
          const version = moov[body];
          if (version === 1) {
            const timescale = moov.readUInt32BE(body + 20);
            const duration = Number(moov.readBigUInt64BE(body + 24));
            return timescale ? duration / timescale : undefined;
          }
          const timescale = moov.readUInt32BE(body + 12);
          const duration = moov.readUInt32BE(body + 16);
          return timescale ? duration / timescale : undefined;
        }
        if (innerSize < 8) return undefined;
        inner += innerSize;
      }
      return undefined;
    }
    pos += size;
  }
  return undefined;
}

async function oggDuration(src: ByteSource): Promise<number | undefined> {
  const head = await src.read(0, 64 * 1024);
  let rate: number | undefined;
  let preSkip = 0;
  const opus = head.indexOf('OpusHead');
  if (opus >= 0) {
    rate = 48000; // Opus granule positions always count 48 kHz samples.
    preSkip = head.readUInt16LE(opus + 10);
  } else {
    const vorbis = head.indexOf('\x01vorbis', 0, 'latin1');
    if (vorbis >= 0) rate = head.readUInt32LE(vorbis + 12);
  }
  if (!rate) return undefined;
  const tailLen = Math.min(src.size, 128 * 1024);
  const tail = await src.read(src.size - tailLen, tailLen);
  for (let i = tail.lastIndexOf('OggS'); i >= 0; i = tail.lastIndexOf('OggS', i - 1)) {
    if (i + 14 > tail.length) continue;
    const granule = Number(tail.readBigInt64LE(i + 6));
    if (granule > 0) return (granule - preSkip) / rate;
    if (i === 0) break;
  }
  return undefined;
}

/** EBML variable-length integer: returns value and its byte length. */
function readVint(b: Buffer, at: number, keepMarker: boolean): { value: number; length: number } | undefined {
  const first = b[at];
  if (first === undefined || first === 0) return undefined;
  let length = 1;
  while (!(first & (0x80 >> (length - 1)))) length++;
  if (at + length > b.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  for (let i = 1; i < length; i++) value = value * 256 + b[at + i]!;
  if (!keepMarker && value === 2 ** (7 * length) - 1) value = -1; // unknown size
  return { value, length };
}

async function matroskaDuration(src: ByteSource): Promise<number | undefined> {
  const b = await src.read(0, 256 * 1024);
  // Walk: EBML header, then Segment's children until Info; read TimecodeScale and Duration there.
  let pos = 0;
  const header = element(b, pos);
  if (!header) return undefined;
  pos = header.dataStart + header.size;
  const segment = element(b, pos);
  if (segment?.id !== 0x18538067) return undefined;
  pos = segment.dataStart;
  while (pos < b.length) {
    const el = element(b, pos);
    if (!el) return undefined;
    if (el.id === 0x1549a966) {
      let scale = 1_000_000;
      let duration: number | undefined;
      let inner = el.dataStart;
      const end = Math.min(b.length, el.dataStart + el.size);
      while (inner < end) {
        const child = element(b, inner);
        if (!child) break;
        if (child.id === 0x2ad7b1) scale = b.readUIntBE(child.dataStart, Math.min(6, child.size));
        if (child.id === 0x4489) {
          duration = child.size === 4 ? b.readFloatBE(child.dataStart) : b.readDoubleBE(child.dataStart);
        }
        inner = child.dataStart + child.size;
      }
      return duration === undefined ? undefined : (duration * scale) / 1e9;
    }
    if (el.size < 0) return undefined;
    pos = el.dataStart + el.size;
  }
  return undefined;
}

function element(b: Buffer, at: number): { id: number; size: number; dataStart: number } | undefined {
  const id = readVint(b, at, true);
  if (!id) return undefined;
  const size = readVint(b, at + id.length, false);
  if (!size) return undefined;
  return { id: id.value, size: size.value, dataStart: at + id.length + size.length };
}

const ASF_FILE_PROPERTIES = Buffer.from('a1dcab8c47a9cf118ee400c00c205365', 'hex');

async function asfDuration(src: ByteSource): Promise<number | undefined> {
  const b = await src.read(0, 64 * 1024);
  const at = b.indexOf(ASF_FILE_PROPERTIES);
  if (at < 0 || at + 88 > b.length) return undefined;
  const playDuration = Number(b.readBigUInt64LE(at + 64)); // 100-ns units
  const preroll = Number(b.readBigUInt64LE(at + 80)); // ms
  return playDuration / 1e7 - preroll / 1000;
}

async function flvDuration(src: ByteSource): Promise<number | undefined> {
  const b = await src.read(0, 16 * 1024);
  // onMetaData is an AMF0 object; "duration" is followed by type 0 (number) and a big-endian double.
  const at = b.indexOf('\x00\x08duration', 0, 'latin1');
  if (at < 0 || b[at + 10] !== 0x00) return undefined;
  const seconds = b.readDoubleBE(at + 11);
  return seconds > 0 ? seconds : undefined;
}

const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

async function adtsDuration(src: ByteSource): Promise<DurationEstimate | undefined> {
  // Walk frame headers; past a few MB, extrapolate from the average frame size seen so far.
  const limit = Math.min(src.size, 8 * 1024 * 1024);
  const b = await src.read(0, limit);
  let pos = b.toString('latin1', 0, 3) === 'ID3' ? 10 + syncSafe(b, 6) : 0;
  const start = pos;
  let frames = 0;
  let rate = 0;
  while (pos + 7 <= b.length && b[pos] === 0xff && (b[pos + 1]! & 0xf6) === 0xf0) {
    rate = ADTS_RATES[(b[pos + 2]! >> 2) & 0x0f] ?? 0;
    const len = ((b[pos + 3]! & 0x03) << 11) | (b[pos + 4]! << 3) | (b[pos + 5]! >> 5);
    const blocks = (b[pos + 6]! & 0x03) + 1;
    if (len < 7) break;
    frames += blocks;
    pos += len;
  }
  if (!rate || frames === 0) return undefined;
  const walked = pos - start;
  const seconds = (frames * 1024) / rate;
  if (pos >= src.size || limit >= src.size) return { seconds, estimated: false };
  return { seconds: seconds * ((src.size - start) / walked), estimated: true };
}

const AMR_NB_SIZES = [13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1];
const AMR_WB_SIZES = [18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1];

async function amrDuration(src: ByteSource): Promise<number | undefined> {
  const b = await src.read(0, Math.min(src.size, 16 * 1024 * 1024));
  const wide = b.toString('latin1', 0, 9) === '#!AMR-WB\n';
  let pos = wide ? 9 : 6;
  const sizes = wide ? AMR_WB_SIZES : AMR_NB_SIZES;
  let frames = 0;
  while (pos < b.length) {
    pos += sizes[(b[pos]! >> 3) & 0x0f]!;
    frames++;
  }
  const seconds = frames * 0.02;
  return b.length < src.size ? seconds * (src.size / b.length) : seconds;
}

async function aviDuration(src: ByteSource): Promise<number | undefined> {
  const b = await src.read(0, 4096);
  const at = b.indexOf('avih');
  if (at < 0 || at + 28 > b.length) return undefined;
  const microSecPerFrame = b.readUInt32LE(at + 8);
  const totalFrames = b.readUInt32LE(at + 24);
  return (microSecPerFrame * totalFrames) / 1e6 || undefined;
}
