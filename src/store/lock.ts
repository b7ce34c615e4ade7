/**
 * A per-record lock between processes sharing an output directory (replicas): a `<file>.lock` created
 * exclusively around a read-modify-write, so two writers' patches never overwrite each other. A lock
 * older than 10 s is a crashed writer's and is broken; a lock that cannot be created for another reason
 * (a full or read-only disk) is skipped, and the write itself reports the problem.
 */
import { open, rm, stat } from 'node:fs/promises';
import { fsErrorCode } from '../util/fs-errors.js';

const STALE_MS = 10_000;
const GIVE_UP_MS = 5000;

export async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + GIVE_UP_MS;
  let held = false;
  while (!held) {
    try {
      await (await open(lock, 'wx')).close();
      held = true;
    } catch (err) {
      if (fsErrorCode(err) !== 'EEXIST') break;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_MS) await rm(lock, { force: true }).catch(() => {});
      else if (Date.now() > deadline) break;
      else await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    }
  }
  try {
    return await fn();
  } finally {
    if (held) await rm(lock, { force: true }).catch(() => {});
  }
}
