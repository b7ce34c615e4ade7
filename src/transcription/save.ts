/** Saving a finished transcript; a disk that says no never costs the caller the transcript itself. */
import type { TranscriptionResult } from '../domain/result.js';
import { errorMessage } from '../util/errors.js';
import type { ServiceContext } from './context.js';

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
    ctx.logger.error(`could not save transcript: ${why}`);
    return {
      ...result,
      warnings: [
        ...result.warnings,
        `The transcript could not be saved to disk (${why}); it is only in this result.`,
      ],
    };
  }
}
