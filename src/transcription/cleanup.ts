/**
 * The end of a task is the end of its upload: once a task is SUCCEEDED, FAILED, CANCELED or UNKNOWN,
 * the object it was read from in the user's own bucket is deleted (unless ASR_BUCKET_KEEP). Whichever
 * process records the end does it, since every end passes through `updateTask`.
 */
import type { TaskRecord } from '../store/tasks.js';
import type { ServiceContext } from './context.js';

const ENDED = new Set(['SUCCEEDED', 'FAILED', 'CANCELED', 'UNKNOWN']);
/** How long the end of a task waits for its object's deletion before answering anyway. */
const MAX_WAIT_MS = 5000;

/** Called with every task update; acts only on an end status of a record that names a bucket object. */
export async function releaseUpload(
  ctx: ServiceContext,
  id: string,
  patch: Partial<TaskRecord>,
  saved: TaskRecord | undefined,
): Promise<void> {
  if (!ctx.bucket || patch.status === undefined || !ENDED.has(patch.status)) return;
  // The record may not have been written (a full disk); the live job still knows its key.
  const key = saved?.bucket_key ?? ctx.jobs.get(id)?.bucketKey;
  if (!key) return;
  // A slow store must not hold back the result: after a few seconds the delete goes on by itself.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    ctx.bucket.remove(key, `task ${id} is ${patch.status}`),
    new Promise((resolve) => {
      timer = setTimeout(resolve, MAX_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
}
