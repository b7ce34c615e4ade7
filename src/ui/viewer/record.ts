/**
 * Recording from the microphone: Opus in WebM (or Ogg) through MediaRecorder, else 16-bit mono WAV
 * from the raw samples. It reports the level and elapsed time, stops itself before the inline limit
 * (bytes or seconds) and hands back the recording as a data: URI.
 */

export interface RecorderOptions {
  limitBytes: number;
  maxSeconds: number;
  onLevel: (level: number, seconds: number, bytes: number) => void;
  onStop: (dataUri: string, why: string) => void;
}

const WAV_RATE = 16000;

export class Recorder {
  active = false;
  private stream?: MediaStream;
  private ctx?: AudioContext;
  private media?: MediaRecorder;
  private chunks: Blob[] = [];
  private samples: Float32Array[] = [];
  private bytes = 0;
  private started = 0;
  private timer?: number;
  private why = '';

  constructor(private readonly opts: RecorderOptions) {}

  async start(): Promise<void> {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error('this host gives the viewer no microphone');
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    this.ctx = new AudioContext();
    const input = this.ctx.createMediaStreamSource(this.stream);
    const analyser = this.ctx.createAnalyser();
    analyser.fftSize = 1024;
    input.connect(analyser);
    this.chunks = [];
    this.samples = [];
    this.bytes = 0;
    const type = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm'].find(
      (t) => typeof MediaRecorder !== 'undefined' && MediaRecorder.isTypeSupported(t),
    );
    if (type) {
      this.media = new MediaRecorder(this.stream, { mimeType: type, audioBitsPerSecond: 64000 });
      this.media.ondataavailable = (e) => {
        if (e.data.size > 0) {
          this.chunks.push(e.data);
          this.bytes += e.data.size;
        }
      };
      this.media.onstop = () => void this.finish(new Blob(this.chunks, { type: type.split(';')[0] }));
      this.media.start(250);
    } else {
      // WAV: raw samples, downsampled to 16 kHz mono on the way out (2 bytes a sample).
      const proc = this.ctx.createScriptProcessor(4096, 1, 1);
      const ratio = this.ctx.sampleRate / WAV_RATE;
      proc.onaudioprocess = (e) => {
        this.samples.push(new Float32Array(e.inputBuffer.getChannelData(0)));
        this.bytes = 44 + Math.floor((this.samples.length * 4096) / ratio) * 2;
      };
      input.connect(proc);
      proc.connect(this.ctx.destination);
    }
    this.active = true;
    this.started = performance.now();
    const buf = new Float32Array(analyser.fftSize);
    this.timer = window.setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      const level = Math.min(1, Math.sqrt(sum / buf.length) * 4);
      const seconds = (performance.now() - this.started) / 1000;
      this.opts.onLevel(level, seconds, this.bytes);
      // Stop before the limit: a margin for the last chunk and the container's closing bytes.
      if (this.bytes > this.opts.limitBytes * 0.95) this.stop('it reached the inline size limit');
      else if (seconds >= this.opts.maxSeconds - 1) this.stop('it reached the 5-minute inline limit');
    }, 100);
  }

  stop(why: string): void {
    if (!this.active) return;
    this.active = false;
    this.why = why;
    clearInterval(this.timer);
    if (this.media) this.media.stop();
    else void this.finish(new Blob([this.wav()], { type: 'audio/wav' }));
  }

  private async finish(blob: Blob): Promise<void> {
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    const sampleRateCtx = this.ctx;
    this.ctx = undefined;
    this.media = undefined;
    await sampleRateCtx?.close().catch(() => undefined);
    const uri = await new Promise<string>((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
    this.opts.onStop(uri, this.why);
  }

  private wav(): ArrayBuffer {
    const rate = this.ctx?.sampleRate ?? 48000;
    const ratio = rate / WAV_RATE;
    const total = this.samples.reduce((n, s) => n + s.length, 0);
    const frames = Math.floor(total / ratio);
    const out = new DataView(new ArrayBuffer(44 + frames * 2));
    const text = (at: number, s: string) => {
      for (let i = 0; i < s.length; i++) out.setUint8(at + i, s.charCodeAt(i));
    };
    text(0, 'RIFF');
    out.setUint32(4, 36 + frames * 2, true);
    text(8, 'WAVEfmt ');
    out.setUint32(16, 16, true);
    out.setUint16(20, 1, true);
    out.setUint16(22, 1, true);
    out.setUint32(24, WAV_RATE, true);
    out.setUint32(28, WAV_RATE * 2, true);
    out.setUint16(32, 2, true);
    out.setUint16(34, 16, true);
    text(36, 'data');
    out.setUint32(40, frames * 2, true);
    const all = new Float32Array(total);
    let at = 0;
    for (const s of this.samples) {
      all.set(s, at);
      at += s.length;
    }
    for (let i = 0; i < frames; i++) {
      const v = Math.max(-1, Math.min(1, all[Math.floor(i * ratio)] ?? 0));
      out.setInt16(44 + i * 2, v < 0 ? v * 0x8000 : v * 0x7fff, true);
    }
    return out.buffer;
  }
}
