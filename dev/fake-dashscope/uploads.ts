/**
 * Temporary uploads for the async models: the API hands out a signed POST policy, the file then goes
 * to the storage host as a multipart form (policy fields first, `file` last, no API key), and the
 * task is submitted with `oss://<key>`.
 */
import { randomUUID } from 'node:crypto';
import { applyFault } from './faults.js';
import { authorized, delay, nativeError, ossError, rid, sendJson } from './reply.js';
import type { RequestContext } from './types.js';

const OSS_ACCESS_KEY_ID = 'LTAI-fake-oss-id';
/** How far into the body the form fields before `file` may reach before the fake gives up on them. */
const MAX_FIELDS_BYTES = 1024 * 1024;
/** Enough of the body's end to see the closing boundary. */
const TAIL_BYTES = 256;

const signatureOf = (policy: string) => `sig-${policy.slice(0, 8)}`;

export function policy(ctx: RequestContext): void {
  const { res, url, state } = ctx;
  if (!authorized(ctx)) return nativeError(res, 401, 'InvalidApiKey', 'Invalid API-key provided.');
  if (url.searchParams.get('action') !== 'getPolicy' || !url.searchParams.get('model')) {
    return nativeError(res, 400, 'InvalidParameter', 'action=getPolicy and model are required');
  }
  if (!state.options.temporaryUpload) {
    return nativeError(res, 404, 'NotFound', 'Temporary file upload is not available in this region.');
  }
  const { policyExpireSeconds, maxUploadMb } = state.options;
  const policy = Buffer.from(JSON.stringify({ id: randomUUID() })).toString('base64');
  const uploadDir = `dashscope-instant/${randomUUID().replace(/-/g, '')}/${new Date().toISOString().slice(0, 10)}`;
  state.policies.set(policy, { expiresAt: Date.now() + policyExpireSeconds * 1000, uploadDir });
  sendJson(res, 200, {
    request_id: rid(),
    data: {
      policy,
      signature: signatureOf(policy),
      upload_dir: uploadDir,
      upload_host: `${state.url}/oss`,
      expire_in_seconds: policyExpireSeconds,
      max_file_size_mb: maxUploadMb,
      capacity_limit_mb: 999999999,
      oss_access_key_id: OSS_ACCESS_KEY_ID,
      x_oss_object_acl: 'private',
      x_oss_forbid_overwrite: 'true',
    },
  });
}

/**
 * The storage host's POST. The body is parsed as it streams: fields before `file` are read from the
 * first bytes; the file itself is counted and, beyond `keepUploadBytes`, dropped, so a 1 GB upload
 * costs the fake no memory.
 *
 * Faults meet an upload where a real one would: a delay before the body is read (it waits in the
 * socket buffers meanwhile), a reset part-way through the body, a status as the storage host's XML
 * error once the body is in; the other kinds once the body is in, as on any route.
 */
export async function upload(ctx: RequestContext): Promise<void> {
  const { req, res, record, fault, state } = ctx;
  const keep = state.options.keepUploadBytes;
  if (fault?.kind === 'delay') await delay(fault.ms);
  const boundary = /boundary=(.+)$/.exec(String(req.headers['content-type'] ?? ''))?.[1];
  let head = Buffer.alloc(0);
  let total = 0;
  let tail = Buffer.alloc(0);
  let fileStart = -1;
  let kept: Buffer[] = [];
  let keptBytes = 0;
  let fields: Record<string, string> = {};
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (fault?.kind === 'reset' && total > 0) {
      req.socket.destroy();
      return;
    }
    total += chunk.length;
    if (fileStart < 0) {
      head = Buffer.concat([head, chunk]);
      const parsed = boundary ? parseFieldsUntilFile(head, boundary) : undefined;
      if (parsed) {
        fileStart = parsed.fileStart;
        fields = parsed.fields;
        const first = head.subarray(fileStart);
        kept = [first.subarray(0, keep)];
        keptBytes = kept[0]!.length;
        tail = Buffer.from(first.subarray(-TAIL_BYTES));
      } else if (head.length > MAX_FIELDS_BYTES) break;
    } else {
      if (keptBytes < keep) {
        const piece = chunk.subarray(0, keep - keptBytes);
        kept.push(piece);
        keptBytes += piece.length;
      }
      tail = Buffer.concat([tail, chunk]).subarray(-TAIL_BYTES);
    }
  }
  record.bodyBytes = total;
  record.endedAt = Date.now();
  if (fault?.kind === 'status') {
    res.writeHead(fault.status, { 'content-type': 'application/xml' });
    res.end(`<?xml version="1.0"?><Error><Code>InternalError</Code><Message>injected</Message></Error>`);
    return;
  }
  // A body small enough to arrive in one piece gave the reset no "part-way" to happen at.
  if (fault?.kind === 'reset') return void req.socket.destroy();
  if (fault && fault.kind !== 'delay' && (await applyFault(fault, res))) return;

  if (req.headers.authorization)
    return ossError(res, 400, 'InvalidArgument', 'Authorization header is not allowed with a POST policy.');
  if (!boundary || fileStart < 0)
    return ossError(res, 400, 'InvalidArgument', 'No file field found in the multipart body.');
  const closing = `\r\n--${boundary}--\r\n`;
  if (!tail.toString('latin1').endsWith(closing)) {
    return ossError(res, 400, 'InvalidArgument', 'The file field must be the last field of the form.');
  }
  const contentType = fields['x-oss-content-type'];
  if (contentType !== undefined && !/^[\w.+-]+\/[\w.+-]+$/.test(contentType))
    return ossError(res, 400, 'InvalidArgument', `x-oss-content-type "${contentType}" is not a MIME type.`);
  const issued = state.policies.get(fields.policy ?? '');
  if (
    !issued ||
    fields.OSSAccessKeyId !== OSS_ACCESS_KEY_ID ||
    fields.Signature !== signatureOf(fields.policy ?? '')
  ) {
    return ossError(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match.');
  }
  if (Date.now() > issued.expiresAt)
    return ossError(res, 403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
  const key = fields.key ?? '';
  if (!key.startsWith(`${issued.uploadDir}/`))
    return ossError(res, 403, 'AccessDenied', 'Invalid according to Policy: key.');
  // x-oss-forbid-overwrite is always true in the policy: a second upload to one key is refused.
  if (state.uploads.has(key))
    return ossError(res, 409, 'FileAlreadyExists', 'The object you specified already exists.');
  const size = total - fileStart - closing.length;
  if (size > state.options.maxUploadMb * 1024 * 1024) {
    return ossError(res, 400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.');
  }
  const keptAll = Buffer.concat(kept);
  state.uploads.set(key, { key, size, head: keptAll.subarray(0, Math.min(keptAll.length, size)), fields });
  res.writeHead(Number(fields.success_action_status) || 204);
  res.end();
}

/** The form fields before the `file` part, and where the file's bytes begin; undefined until all are in. */
function parseFieldsUntilFile(
  head: Buffer,
  boundary: string,
): { fields: Record<string, string>; fileStart: number } | undefined {
  const text = head.toString('latin1');
  const fields: Record<string, string> = {};
  const delimiter = `--${boundary}\r\n`;
  let pos = 0;
  while (true) {
    const start = text.indexOf(delimiter, pos);
    if (start < 0) return undefined;
    const headersEnd = text.indexOf('\r\n\r\n', start);
    if (headersEnd < 0) return undefined;
    const headers = text.slice(start + delimiter.length, headersEnd);
    const name = /name="([^"]*)"/.exec(headers)?.[1] ?? '';
    const valueStart = headersEnd + 4;
    if (name === 'file') return { fields, fileStart: valueStart };
    const valueEnd = text.indexOf(`\r\n--${boundary}`, valueStart);
    if (valueEnd < 0) return undefined;
    fields[name] = text.slice(valueStart, valueEnd);
    pos = valueEnd + 2;
  }
}
