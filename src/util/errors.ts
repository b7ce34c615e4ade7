/** Anything thrown, as one line of text: the message of an Error, or the value itself. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
