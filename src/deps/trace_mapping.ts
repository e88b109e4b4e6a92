// @jridgewell/trace-mapping from npm: the source-map reader of the JavaScript
// tool chain (maintained, typed), in place of a hand-written VLQ decoder.
export {
  GREATEST_LOWER_BOUND,
  LEAST_UPPER_BOUND,
  originalPositionFor,
  TraceMap,
} from "npm:@jridgewell/trace-mapping@0.3.31";
