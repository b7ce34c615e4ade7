/**
 * The transcript viewer (an MCP App): renders the result of asr_transcribe / asr_task_status /
 * asr_read_transcript, pages the rest in with asr_read_transcript as the reader scrolls, polls a running
 * task through the host, searches, copies, exports, plays media from allowed origins and records.
 * Everything goes through the host (App.callServerTool); the view has no network access of its own.
 */
import {
  App,
  applyDocumentTheme,
  applyHostFonts,
  applyHostStyleVariables,
  type McpUiHostContext,
} from '@modelcontextprotocol/ext-apps';
import { Recorder } from './record.js';
import {
  clock,
  fmtElapsed,
  type ResultView,
  type Sentence,
  SentenceStream,
  search,
  sentenceAt,
  speakerLabel,
  splitHits,
  splitText,
  toSrt,
  toTxt,
  toVtt,
} from './transcript.js';

interface ViewerConfig {
  mediaOrigins: string[];
  inlineLimitBytes: number;
  inlineMaxSeconds: number;
}

const config: ViewerConfig = {
  mediaOrigins: [],
  inlineLimitBytes: 7 * 1024 * 1024,
  inlineMaxSeconds: 300,
  ...(JSON.parse(document.getElementById('viewer-config')?.textContent?.trim() || '{}') as object),
};
const PAGE_TOKENS = 4000;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const list = $<HTMLOListElement>('sentences');
const meta = $('meta');
const searchBox = $<HTMLInputElement>('search');
const hitsEl = $('hits');
const more = $('more');
const note = $('note');
const player = $<HTMLAudioElement>('player');

const state = {
  sentences: [] as Sentence[],
  timed: false,
  text: '',
  language: undefined as string | undefined,
  model: '',
  transcriptId: undefined as string | undefined,
  /** Paging: what to read next with asr_read_transcript, undefined when all is in. */
  paging: undefined as { format: 'json' | 'text'; offset: number; stream?: SentenceStream } | undefined,
  loading: undefined as Promise<void> | undefined,
  query: '',
  matches: [] as number[],
  current: -1,
  playing: -1,
  task: undefined as { id: string; since: number; timer?: number; tick?: number } | undefined,
};

const app = new App({ name: 'qwen-asr-viewer', version: '1.0.0' }, {}, { autoResize: true });

// ---------- host context: theme, fonts, style variables ----------
function applyContext(ctx: McpUiHostContext | undefined): void {
  if (!ctx) return;
  if (ctx.theme) applyDocumentTheme(ctx.theme);
  if (ctx.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
  if (ctx.styles?.css?.fonts) applyHostFonts(ctx.styles.css.fonts);
}
app.onhostcontextchanged = (ctx) => applyContext({ ...app.getHostContext(), ...ctx });

// ---------- results in ----------
app.ontoolresult = (result) => {
  if (result.isError) {
    showError(textOf(result.content));
    return;
  }
  show((result.structuredContent ?? {}) as ResultView);
};
app.ontoolcancelled = () => setMeta('The call was cancelled.');

function textOf(content: unknown): string {
  return Array.isArray(content)
    ? content
        .map((c) => (c && typeof c === 'object' && 'text' in c ? String(c.text) : ''))
        .join('\n')
        .trim()
    : '';
}

function showError(text: string): void {
  stopTask();
  $('task').hidden = true;
  setMeta('');
  note.hidden = false;
  note.textContent = text || 'The call failed.';
  note.classList.add('error');
  document.getElementById('app')!.setAttribute('aria-busy', 'false');
}

function setMeta(text: string): void {
  meta.textContent = text;
}

function show(r: ResultView): void {
  document.getElementById('app')!.setAttribute('aria-busy', 'false');
  note.classList.remove('error');
  // A page from asr_read_transcript opened on its own.
  if (r.format !== undefined && r.offset !== undefined && r.status === undefined) {
    state.transcriptId = r.transcript_id;
    if (r.format === 'json') {
      const stream = new SentenceStream();
      addSentences(stream.push(r.text ?? ''), true);
      state.paging = nextPaging('json', r.next_offset, stream);
    } else {
      addSentences(
        splitText(r.text ?? '').map((t) => ({ begin_ms: -1, end_ms: -1, text: t })),
        false,
      );
      state.paging = r.format === 'text' ? nextPaging('text', r.next_offset) : undefined;
    }
    setMeta(`Transcript ${r.transcript_id ?? ''}`);
    render();
    updateExports();
    return;
  }
  if (r.status === 'PENDING' || r.status === 'RUNNING' || r.status === 'UNKNOWN') {
    showTask(r);
    return;
  }
  stopTask();
  $('task').hidden = true;
  if (r.status !== 'SUCCEEDED') {
    showError(`The task ended ${r.status ?? 'without a status'}.`);
    return;
  }
  state.model = r.model ?? '';
  state.language = r.language;
  state.transcriptId = r.transcript_id;
  state.text = r.text ?? '';
  state.sentences = [];
  state.paging = undefined;
  if (Array.isArray(r.sentences) && r.sentences.length > 0) {
    state.timed = r.sentences.some((s) => s.end_ms > 0);
    state.sentences = r.sentences;
  } else if (r.sentences && !Array.isArray(r.sentences) && r.transcript_id) {
    // Too long for the result: the sentences come in page by page.
    state.timed = true;
    state.paging = { format: 'json', offset: 0, stream: new SentenceStream() };
  } else {
    state.timed = false;
    state.sentences = splitText(state.text).map((t) => ({ begin_ms: -1, end_ms: -1, text: t }));
    if (r.text_truncated && r.transcript_id && r.next_offset !== undefined)
      state.paging = { format: 'text', offset: r.next_offset };
  }
  const facts = [
    r.language && `language ${r.language}`,
    r.duration_s !== undefined && `${clock(r.duration_s * 1000)}`,
    r.model,
  ].filter(Boolean);
  setMeta(facts.join(' · '));
  setupPlayer(r.source);
  render();
  if (state.paging && state.sentences.length === 0) void loadMore();
  updateExports();
}

function nextPaging(format: 'json' | 'text', next: number | undefined, stream?: SentenceStream) {
  return next === undefined || stream?.closed ? undefined : { format, offset: next, stream };
}

function addSentences(items: Sentence[], timed: boolean): void {
  if (items.length === 0) return;
  if (timed) state.timed = true;
  state.sentences.push(...items);
}

// ---------- paging ----------
function loadMore(): Promise<void> {
  if (!state.paging || !state.transcriptId) return Promise.resolve();
  state.loading ??= (async () => {
    more.hidden = false;
    try {
      // JSON pages may hold no sentence yet (the text comes first): read on until one arrives.
      let added = 0;
      while (state.paging && added === 0) {
        const { format, offset, stream } = state.paging;
        const res = await app.callServerTool({
          name: 'asr_read_transcript',
          arguments: { transcript_id: state.transcriptId, offset, format, max_tokens: PAGE_TOKENS },
        });
        if (res.isError) {
          state.paging = undefined;
          toast(textOf(res.content) || 'Could not read on.');
          break;
        }
        const p = res.structuredContent as { text: string; next_offset?: number };
        const items =
          format === 'json'
            ? stream!.push(p.text)
            : splitText(p.text).map((t) => ({ begin_ms: -1, end_ms: -1, text: t }));
        addSentences(items, format === 'json');
        added += items.length;
        state.paging = nextPaging(format, p.next_offset, stream);
      }
      render();
    } catch (err) {
      state.paging = undefined;
      toast(`Could not read on: ${(err as Error).message}`);
    } finally {
      more.hidden = !state.paging;
      state.loading = undefined;
      updateExports();
    }
  })();
  return state.loading;
}

async function loadAll(): Promise<void> {
  while (state.paging) await loadMore();
}

new IntersectionObserver((entries) => {
  if (entries.some((e) => e.isIntersecting)) void loadMore();
}).observe(more);

// ---------- rendering ----------
function render(): void {
  const { matches } = search(state.sentences, state.query);
  state.matches = matches;
  const matchSet = new Set(matches);
  const frag = document.createDocumentFragment();
  state.sentences.forEach((s, i) => {
    const li = document.createElement('li');
    li.className = 's';
    if (matchSet.has(i)) li.classList.add('match');
    if (i === state.playing) li.classList.add('now');
    li.tabIndex = 0;
    li.dataset.i = String(i);
    const t = document.createElement('span');
    t.className = 't';
    t.textContent = s.begin_ms >= 0 ? clock(s.begin_ms) : '';
    const body = document.createElement('span');
    if (s.speaker_id !== undefined) {
      const sp = document.createElement('span');
      sp.className = `sp sp${s.speaker_id % 8}`;
      sp.textContent = speakerLabel(s);
      body.append(sp);
    }
    splitHits(s.text, state.query).forEach((piece, k) => {
      if (k % 2 === 1) {
        const m = document.createElement('mark');
        m.textContent = piece;
        body.append(m);
      } else if (piece) body.append(piece);
    });
    if (s.language && s.language !== state.language) {
      const lang = document.createElement('span');
      lang.className = 'lang';
      lang.textContent = s.language;
      body.append(lang);
    }
    li.append(t, body);
    li.setAttribute(
      'aria-label',
      `${s.begin_ms >= 0 ? `${clock(s.begin_ms)} ` : ''}${speakerLabel(s)} ${s.text}`.trim(),
    );
    frag.append(li);
  });
  list.replaceChildren(frag);
  more.hidden = !state.paging;
  updateHits();
}

function updateHits(): void {
  if (!state.query.trim()) {
    hitsEl.textContent = '';
    return;
  }
  const { hits } = search(state.sentences, state.query);
  const pos = state.current >= 0 ? `${state.matches.indexOf(state.current) + 1}/` : '';
  hitsEl.textContent = `${pos}${hits} hit${hits === 1 ? '' : 's'}${state.paging ? '+' : ''}`;
}

function item(i: number): HTMLElement | undefined {
  return list.children[i] as HTMLElement | undefined;
}

// ---------- search ----------
searchBox.addEventListener('input', () => {
  state.query = searchBox.value;
  state.current = -1;
  render();
});
searchBox.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    e.preventDefault();
    step(e.shiftKey ? -1 : 1);
  } else if (e.key === 'Escape') {
    searchBox.value = '';
    state.query = '';
    render();
  }
});
$('next').addEventListener('click', () => step(1));
$('prev').addEventListener('click', () => step(-1));

function step(dir: 1 | -1): void {
  if (state.matches.length === 0) return;
  const at = state.matches.indexOf(state.current);
  const next = at < 0 ? (dir === 1 ? 0 : state.matches.length - 1) : at + dir;
  state.current = state.matches[(next + state.matches.length) % state.matches.length]!;
  for (const el of list.querySelectorAll('.current')) el.classList.remove('current');
  const el = item(state.current);
  el?.classList.add('current');
  el?.scrollIntoView({ block: 'center' });
  updateHits();
}

// ---------- sentences: click to copy (and seek), keyboard ----------
list.addEventListener('click', (e) => {
  const li = (e.target as HTMLElement).closest<HTMLElement>('li.s');
  if (li) activate(Number(li.dataset.i));
});
list.addEventListener('keydown', (e) => {
  const li = (e.target as HTMLElement).closest<HTMLElement>('li.s');
  if (!li) return;
  const i = Number(li.dataset.i);
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    activate(i);
  } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    item(i + (e.key === 'ArrowDown' ? 1 : -1))?.focus();
  }
});
document.addEventListener('keydown', (e) => {
  if (e.key === '/' && document.activeElement !== searchBox) {
    e.preventDefault();
    searchBox.focus();
  }
});

function lineOf(s: Sentence): string {
  const who = s.speaker_id === undefined ? '' : `${speakerLabel(s)}: `;
  return s.begin_ms >= 0 ? `[${clock(s.begin_ms)}] ${who}${s.text}` : `${who}${s.text}`;
}

function activate(i: number): void {
  const s = state.sentences[i];
  if (!s) return;
  if (!$('player-box').hidden && s.begin_ms >= 0) {
    player.currentTime = s.begin_ms / 1000;
    void player.play().catch(() => undefined);
  }
  void copy(lineOf(s)).then((ok) => toast(ok ? 'Copied with its timestamp' : 'Copy is not allowed here'));
}

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.append(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}

let toastTimer: number | undefined;
function toast(text: string): void {
  const t = $('toast');
  t.textContent = text;
  t.classList.add('on');
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => t.classList.remove('on'), 2200);
}

// ---------- export ----------
function updateExports(): void {
  const none = state.sentences.length === 0 && !state.paging;
  ($('export-txt') as HTMLButtonElement).disabled = none;
  ($('export-srt') as HTMLButtonElement).disabled = none || !state.timed;
  ($('export-vtt') as HTMLButtonElement).disabled = none || !state.timed;
}

async function exportAs(kind: 'txt' | 'srt' | 'vtt'): Promise<void> {
  await loadAll();
  const text =
    kind === 'txt'
      ? toTxt(state.timed ? state.sentences : [], state.sentences.map((s) => s.text).join(' '))
      : kind === 'srt'
        ? toSrt(state.sentences)
        : toVtt(state.sentences);
  const mime = kind === 'txt' ? 'text/plain' : kind === 'srt' ? 'application/x-subrip' : 'text/vtt';
  const name = `${state.transcriptId ?? 'transcript'}.${kind}`;
  const caps = app.getHostCapabilities();
  try {
    if (caps?.downloadFile) {
      const r = await app.downloadFile({
        contents: [{ type: 'resource', resource: { uri: `file:///${name}`, mimeType: mime, text } }],
      });
      if (!r.isError) return toast(`Saved ${name}`);
    }
    if (caps?.openLinks) {
      const r = await app.openLink({ url: `data:${mime};charset=utf-8,${encodeURIComponent(text)}` });
      if (!r.isError) return toast(`Opened ${name}`);
    }
  } catch {
    // fall through to the clipboard
  }
  toast((await copy(text)) ? `${kind.toUpperCase()} copied to the clipboard` : 'Export is not allowed here');
}
for (const kind of ['txt', 'srt', 'vtt'] as const) {
  $(`export-${kind}`).addEventListener('click', () => void exportAs(kind));
}

// ---------- playback ----------
function setupPlayer(source: string | undefined): void {
  const box = $('player-box');
  let origin: string | undefined;
  try {
    origin = source && /^https?:/i.test(source) ? new URL(source).origin : undefined;
  } catch {
    origin = undefined;
  }
  if (origin && config.mediaOrigins.includes(origin)) {
    player.src = source!;
    box.hidden = false;
    note.hidden = true;
    return;
  }
  box.hidden = true;
  player.removeAttribute('src');
  note.hidden = !source;
  note.textContent = !source
    ? ''
    : origin
      ? `No player: ${origin} is not in ASR_VIEWER_MEDIA_ORIGINS.`
      : 'No player: the audio was a local file or a recording, which the viewer cannot reach.';
}

player.addEventListener('timeupdate', () => {
  const i = sentenceAt(state.sentences, player.currentTime * 1000);
  if (i === state.playing) return;
  item(state.playing)?.classList.remove('now');
  state.playing = i;
  const el = item(i);
  el?.classList.add('now');
  el?.scrollIntoView({ block: 'nearest' });
});

// ---------- a running task ----------
function showTask(r: ResultView): void {
  const box = $('task');
  box.hidden = false;
  if (!r.task_id) {
    showError('The task has no id to follow.');
    return;
  }
  if (state.task?.id !== r.task_id) {
    stopTask();
    state.task = { id: r.task_id, since: Date.now() };
    state.task.tick = window.setInterval(paintElapsed, 1000);
  }
  $('stage').textContent =
    `${r.status === 'PENDING' ? 'Queued' : 'Transcribing'}${r.progress ? `: ${r.progress}` : ''}`;
  const bar = $<HTMLProgressElement>('progress');
  const pct = /(\d+(?:\.\d+)?)\s*%/.exec(r.progress ?? '');
  if (pct) bar.value = Number(pct[1]);
  else if (r.eta_s !== undefined && r.eta_s >= 0) {
    const spent = (Date.now() - state.task.since) / 1000;
    bar.value = Math.min(99, (100 * spent) / (spent + r.eta_s));
  } else bar.removeAttribute('value');
  setMeta(`Task ${r.task_id} · ${r.model ?? ''}`);
  paintElapsed();
  const after = Math.min(10, Math.max(1, r.poll_after_s ?? 2));
  state.task.timer = window.setTimeout(() => void poll(), after * 1000);
}

function paintElapsed(): void {
  if (state.task) $('elapsed').textContent = `Elapsed ${fmtElapsed(Date.now() - state.task.since)}`;
}

async function poll(): Promise<void> {
  const task = state.task;
  if (!task) return;
  try {
    const res = await app.callServerTool({
      name: 'asr_task_status',
      arguments: { task_id: task.id, wait: false },
    });
    if (state.task !== task) return;
    if (res.isError) {
      showError(textOf(res.content));
      return;
    }
    show((res.structuredContent ?? {}) as ResultView);
  } catch (err) {
    if (state.task === task) task.timer = window.setTimeout(() => void poll(), 5000);
    toast(`Status check failed: ${(err as Error).message}`);
  }
}

function stopTask(): void {
  if (!state.task) return;
  clearTimeout(state.task.timer);
  clearInterval(state.task.tick);
  state.task = undefined;
}

// ---------- recording ----------
const recorder = new Recorder({
  limitBytes: config.inlineLimitBytes,
  maxSeconds: config.inlineMaxSeconds,
  onLevel: (level, seconds, bytes) => {
    $<HTMLMeterElement>('level').value = level;
    $('rec-time').textContent = fmtElapsed(seconds * 1000);
    $('rec-limit').textContent =
      `${(bytes / 1048576).toFixed(1)} of ${(config.inlineLimitBytes / 1048576).toFixed(0)} MiB · at most ${fmtElapsed(config.inlineMaxSeconds * 1000)}`;
  },
  onStop: (uri, why) => void sendRecording(uri, why),
});
const recordBtn = $<HTMLButtonElement>('record');
recordBtn.addEventListener('click', async () => {
  if (recorder.active) return recorder.stop('you stopped it');
  try {
    await recorder.start();
    recordBtn.setAttribute('aria-pressed', 'true');
    recordBtn.textContent = '■ Stop';
    $('recorder').hidden = false;
  } catch (err) {
    toast(`No microphone: ${(err as Error).message}`);
  }
});
$('rec-stop').addEventListener('click', () => recorder.stop('you stopped it'));

async function sendRecording(uri: string, why: string): Promise<void> {
  recordBtn.setAttribute('aria-pressed', 'false');
  recordBtn.textContent = '● Record';
  $('recorder').hidden = true;
  setMeta(`Recording stopped (${why}); transcribing…`);
  try {
    const res = await app.callServerTool({ name: 'asr_transcribe', arguments: { audio: uri } });
    if (res.isError) {
      showError(textOf(res.content));
      return;
    }
    show((res.structuredContent ?? {}) as ResultView);
  } catch (err) {
    showError(`Transcription failed: ${(err as Error).message}`);
  }
}

// ---------- start ----------
updateExports();
app.connect().then(
  () => applyContext(app.getHostContext()),
  (err: unknown) => setMeta(`Could not connect to the host: ${(err as Error).message}`),
);
