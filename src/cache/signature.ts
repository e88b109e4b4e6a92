/**
 * Signatures of remote cache artifacts, sent and checked in the
 * `x-artifact-tag` header: HMAC-SHA256 over the artifact's hash, the team and
 * the exact bytes uploaded, each part length-prefixed so no two inputs give
 * one message. It is turbo's construction (since turbo 2.11) with gather's
 * own domain string, so a key shared with turbo never validates across the
 * two tools:
 *
 * ```
 * LP(x) = u64 little-endian byte length of x, then x
 * tag   = base64(HMAC-SHA256(key, LP(domain) || LP(hash) || LP(team) || LP(body)))
 * ```
 *
 * The server never checks tags: they prove that whoever made an artifact
 * held the key, which a server that others can write to cannot forge.
 *
 * @module
 */

/** gather's signature domain. */
export const GATHER_SIGNATURE_DOMAIN = "gather-artifact-signature:v1";

/** Options of {@linkcode artifactTag} and {@linkcode verifyArtifactTag}. */
export interface SignatureOptions {
  /** The domain string signed first. @default {GATHER_SIGNATURE_DOMAIN} */
  domain?: string;
}

const encoder = new TextEncoder();

/**
 * Sign an artifact.
 *
 * @param key The secret key (its UTF-8 bytes are the HMAC key).
 * @param hash The artifact's hash (the cache key).
 * @param team The team it is stored under.
 * @param body The bytes uploaded.
 * @param options The domain.
 * @returns The tag: 44 characters of base64.
 *
 * @example Usage
 * ```ts
 * import { artifactTag, verifyArtifactTag } from "./signature.ts";
 * import { assert } from "@std/assert";
 *
 * const body = new TextEncoder().encode("artifact");
 * const tag = await artifactTag("a key of at least 32 bytes, really", "ab12", "team", body);
 * assert(await verifyArtifactTag("a key of at least 32 bytes, really", "ab12", "team", body, tag));
 * assert(!(await verifyArtifactTag("another key", "ab12", "team", body, tag)));
 * ```
 */
export async function artifactTag(
  key: string,
  hash: string,
  team: string,
  body: Uint8Array,
  options: SignatureOptions = {},
): Promise<string> {
  const signature = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(key, "sign"),
    signedMessage(hash, team, body, options.domain),
  );
  return toBase64(new Uint8Array(signature));
}

/**
 * Check an artifact's tag, in constant time.
 *
 * @param key The secret key.
 * @param hash The artifact's hash.
 * @param team The team.
 * @param body The bytes downloaded.
 * @param tag The `x-artifact-tag` header.
 * @param options The domain.
 * @returns Whether the tag is right; `false` for a malformed one.
 */
export async function verifyArtifactTag(
  key: string,
  hash: string,
  team: string,
  body: Uint8Array,
  tag: string,
  options: SignatureOptions = {},
): Promise<boolean> {
  const expected = fromBase64(tag.trim());
  if (expected === undefined || expected.length !== 32) return false;
  return await crypto.subtle.verify(
    "HMAC",
    await hmacKey(key, "verify"),
    expected,
    signedMessage(hash, team, body, options.domain),
  );
}

async function hmacKey(key: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  const raw = encoder.encode(key);
  if (raw.length === 0) throw new RangeError("Cannot sign with an empty key");
  return await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, [
    usage,
  ]);
}

function signedMessage(
  hash: string,
  team: string,
  body: Uint8Array,
  domain = GATHER_SIGNATURE_DOMAIN,
): Uint8Array<ArrayBuffer> {
  const parts = [encoder.encode(domain), encoder.encode(hash), encoder.encode(team), body];
  const message = new Uint8Array(parts.reduce((sum, part) => sum + 8 + part.length, 0));
  const view = new DataView(message.buffer);
  let at = 0;
  for (const part of parts) {
    view.setBigUint64(at, BigInt(part.length), true);
    message.set(part, at + 8);
    at += 8 + part.length;
  }
  return message;
}

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}
