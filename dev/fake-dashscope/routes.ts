/**
 * The route table: method and path pattern → the route's name (what tests inject faults on and count)
 * and its handler. The first matching entry wins.
 */
import { serveMedia } from './media.js';
import { compatible, nativeSync } from './sync.js';
import { cancel, query, result, submit } from './tasks.js';
import type { Handler, Route } from './types.js';
import { policy, upload } from './uploads.js';

export interface RouteEntry {
  route: Route;
  methods: readonly string[];
  /** Anchored; named groups become the handler's `params`. */
  path: RegExp;
  handler: Handler;
  /** The handler reads the body itself (streamed, never held whole) and meets its fault itself. */
  ownBody?: true;
  /** Off for downloads: they are not API calls, so the modelled API latency does not apply. */
  latency?: false;
}

const ROUTES: readonly RouteEntry[] = [
  {
    route: 'compatible',
    methods: ['POST'],
    path: /^\/compatible-mode\/v1\/chat\/completions$/,
    handler: compatible,
  },
  {
    route: 'native-sync',
    methods: ['POST'],
    path: /^\/api\/v1\/services\/aigc\/multimodal-generation\/generation$/,
    handler: nativeSync,
  },
  {
    route: 'submit',
    methods: ['POST'],
    path: /^\/api\/v1\/services\/audio\/asr\/transcription$/,
    handler: submit,
  },
  { route: 'cancel', methods: ['POST'], path: /^\/api\/v1\/tasks\/(?<id>[^/]+)\/cancel$/, handler: cancel },
  // The service answers a task query on POST as well as GET.
  { route: 'task', methods: ['GET', 'POST'], path: /^\/api\/v1\/tasks\/(?<id>[^/]+)$/, handler: query },
  { route: 'policy', methods: ['GET'], path: /^\/api\/v1\/uploads$/, handler: policy },
  { route: 'upload', methods: ['POST'], path: /^\/oss$/, handler: upload, ownBody: true },
  { route: 'result', methods: ['GET'], path: /^\/results\/(?<name>.*)$/s, handler: result },
  { route: 'media', methods: ['GET'], path: /^\/media\/(?<name>.*)$/s, handler: serveMedia, latency: false },
];

export function matchRoute(
  method: string,
  pathname: string,
): { entry: RouteEntry; params: Record<string, string> } | undefined {
  for (const entry of ROUTES) {
    if (!entry.methods.includes(method)) continue;
    const m = entry.path.exec(pathname);
    if (m) return { entry, params: { ...m.groups } };
  }
  return undefined;
}
