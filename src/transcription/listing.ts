/** `asr_list_tasks`: the durable task records and batch indexes, newest first, in pages. */
import { InputError } from '../domain/errors.js';
import type { TaskRecord } from '../store/tasks.js';
import type { ServiceContext } from './context.js';

type ListedStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';

export interface ListedTask {
  id: string;
  kind: 'task' | 'batch';
  status: ListedStatus;
  model: string;
  source: string;
  created_at: string;
  duration_s?: number;
  transcript_id?: string;
}

export interface ListRequest {
  status?: ListedStatus[];
  limit?: number;
  cursor?: string;
}

function listedStatus(status: TaskRecord['status']): ListedStatus {
  if (status === 'UPLOADING') return 'RUNNING';
  if (status === 'UNKNOWN') return 'FAILED';
  return status;
}

const encode = (t: ListedTask) => Buffer.from(`${t.created_at}\n${t.id}`).toString('base64url');

function decode(cursor: string): { created_at: string; id: string } {
  const [created_at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('\n');
  if (!created_at || !id) throw new InputError('cursor is not one this server returned; start without one.');
  return { created_at, id };
}

/** Newest first; ties broken by id so pages never skip or repeat. */
const before = (a: { created_at: string; id: string }, b: { created_at: string; id: string }) =>
  a.created_at > b.created_at || (a.created_at === b.created_at && a.id > b.id);

export async function listTasks(
  ctx: ServiceContext,
  req: ListRequest,
): Promise<{ tasks: ListedTask[]; next_cursor?: string }> {
  const [records, batches] = await Promise.all([ctx.tasks.list(), ctx.batches.list()]);
  const all: ListedTask[] = [];
  for (const r of records) {
    // An upload's record is copied under the task id once submitted: list the task once.
    if (r.task_id && r.id !== r.task_id) continue;
    all.push({
      id: r.id,
      kind: 'task',
      status: listedStatus(r.status),
      model: r.model,
      source: r.source,
      created_at: r.created_at,
      ...(r.duration_s !== undefined ? { duration_s: r.duration_s } : {}),
      ...(r.transcript_id ? { transcript_id: r.transcript_id } : {}),
    });
  }
  for (const b of batches) {
    const models = [...new Set(b.items.map((i) => i.model).filter(Boolean))];
    all.push({
      id: b.id,
      kind: 'batch',
      status: b.status,
      model: models.join(',') || String(b.options.model ?? 'auto'),
      source: b.source,
      created_at: b.created_at,
    });
  }
  const wanted = req.status && req.status.length > 0 ? new Set(req.status) : undefined;
  const after = req.cursor ? decode(req.cursor) : undefined;
  const sorted = all
    .filter((t) => !wanted || wanted.has(t.status))
    .filter((t) => !after || before(after, t))
    .sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  const limit = req.limit ?? 20;
  const tasks = sorted.slice(0, limit);
  return sorted.length > limit ? { tasks, next_cursor: encode(tasks[tasks.length - 1]!) } : { tasks };
}
