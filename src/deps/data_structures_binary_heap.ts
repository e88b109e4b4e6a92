// @std/data-structures/binary-heap, from the npm mirror of the Deno standard library, typed by
// types/std/data_structures_binary_heap.d.ts: a full specifier, so gather loads from any folder.
// @ts-types="../../types/std/data_structures_binary_heap.d.ts"
export * from "npm:deno-std@1.4.0/data_structures/binary_heap.js";
