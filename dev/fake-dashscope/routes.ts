/**
 * The route table: method and path pattern → the route's name (what tests inject faults on and count)
 * and its handler. The first matching entry wins.
 */
import { serveMedia } from './media.js';
import { s3, virtualBucket } from './s3.js';
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
  /**
   * Bucket addressing. `virtual`: only when the Host header is `<bucket>.<anything>` (the bucket
   * becomes `params.bucket`); `path`: only when the path's `bucket` group is the fake's bucket, or the
   * request is signed with SigV4.
   */
  bucket?: 'virtual' | 'path';
}

const S3_METHODS = ['GET', 'HEAD', 'PUT', 'DELETE'] as const;

const ROUTES: readonly RouteEntry[] = [
  // Virtual-hosted bucket requests first: their Host, not their path, says what they are.
  {
    route: 's3',
    methods: S3_METHODS,
    path: /^\/(?<key>.*)$/s,
    handler: s3,
    ownBody: true,
    latency: false,
    bucket: 'virtual',
  },
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
  // Path-style bucket requests last, so no API path is ever taken for a bucket.
  {
    route: 's3',
    methods: S3_METHODS,
    path: /^\/(?<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(?<key>.*))?$/s,
    handler: s3,
    ownBody: true,
    latency: false,
    bucket: 'path',
  },
];

export function matchRoute(
  method: string,
  pathname: string,
  host: { header: string | undefined; bucket: string; sigv4: boolean },
): { entry: RouteEntry; params: Record<string, string> } | undefined {
  for (const entry of ROUTES) {
    if (!entry.methods.includes(method)) continue;
    if (entry.bucket === 'virtual' && !virtualBucket(host.header, host.bucket)) continue;
    const m = entry.path.exec(pathname);
    if (!m) continue;
    // A signed request to an unknown bucket is still a bucket request (NoSuchBucket), not an unknown route.
    if (entry.bucket === 'path' && m.groups?.bucket !== host.bucket && !host.sigv4) continue;
    const params: Record<string, string> = { ...m.groups };
    if (entry.bucket === 'virtual') params.bucket = host.bucket;
    return { entry, params };
  }
  return undefined;
}
