/** Bytes produced on demand, once per request attempt, with their length known in advance. */
export interface ByteStream {
  length: number;
  open(signal?: AbortSignal): AsyncIterable<Buffer>;
}
