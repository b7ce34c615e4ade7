/**
 * Saving a finished transcript; a disk that says no never costs the caller the transcript itself. When
 * the set cannot be written (disk full, read-only, no permission), the transcript is kept in this
 * process's memory under a `transcript_id` instead, and the result says so plainly.
 */
import type { TranscriptionResult } from '../domain/result.js';
import { SaveFailedError } from '../store/transcripts.js';
import { errorMessage } from '../util/errors.js';
import { fsErrorCode } from '../util/fs-errors.js';
import type { ServiceContext } from './context.js';

/** What to do about it, by the errno code behind the failure. */
function remedy(err: unknown): string {
  switch (fsErrorCode((err as Error | undefined)?.cause)) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return ' Free some space on that volume (or set OUTPUT_DIR to another one) so later transcripts are saved.';
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return ' Set OUTPUT_DIR to a writable directory so later transcripts are saved.';
    default:
      return '';
  }
}

export async function saveResult(
  ctx: ServiceContext,
  result: TranscriptionResult,
  stem: string,
): Promise<TranscriptionResult> {
  try {
    const location = ctx.dirs.get();
    const saved = await ctx.transcripts.save(result, stem);
    if (location.fallbackReason) saved.warnings = [...saved.warnings, location.fallbackReason];
    return saved;
  } catch (err) {
    const why = errorMessage(err);
    ctx.logger.error(`could not save the transcript: ${why}`);
    const notSaved = `Not saved to disk: ${why}; no files were written.`;
    const kept = ctx.transcripts.keep(
      result,
      stem,
      (id) =>
        `${notSaved} The whole transcript is kept in this server process's memory instead, readable as transcript://${id} (transcript_id ${id}) until the server restarts (24 h at most).${remedy(err)}`,
      { id: err instanceof SaveFailedError ? err.transcriptId : undefined },
    );
    if (kept) return kept;
    return {
      ...result,
      warnings: [
        ...result.warnings,
        `${notSaved} It is also too large to keep in memory, so this result is the only copy.${remedy(err)}`,
      ],
    };
  }
}
