/**
 * The request types the program uses and the zod shapes the tools validate come from two places; these
 * checks make them one source: `npm run lint` (tsc over the tests) fails the moment they drift apart.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { StatusRequest, TranscribeRequest } from '../../src/domain/request.js';
import type { taskStatusInput } from '../../src/mcp/tools/task-status.js';
import type { transcribeInput } from '../../src/mcp/tools/transcribe.js';

type Parsed<Shape extends z.ZodRawShape> = z.infer<z.ZodObject<Shape>>;

describe('request types and tool schemas', () => {
  it('asr_transcribe validates exactly a TranscribeRequest', () => {
    expectTypeOf<Parsed<typeof transcribeInput>>().toEqualTypeOf<TranscribeRequest>();
  });
  it('asr_task_status validates exactly a StatusRequest', () => {
    expectTypeOf<Parsed<typeof taskStatusInput>>().toEqualTypeOf<StatusRequest>();
  });
});
