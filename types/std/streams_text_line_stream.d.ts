// Types of @std/streams/text-line-stream (deno-std@1.4.0 ships JavaScript only), from the documented
// signatures of the JSR package of the same version.

export interface TextLineStreamOptions {
  /** @default {false} */
  allowCR?: boolean;
}
export class TextLineStream extends TransformStream<string, string> {
  constructor(options?: TextLineStreamOptions);
}
