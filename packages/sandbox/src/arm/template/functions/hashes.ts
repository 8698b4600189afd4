/**
 * `uniqueString()` and `guid()`, computed as Azure computes them, so that a
 * name the sandbox predicts is the name Azure gives.
 *
 * - `uniqueString(a, b, …)` hashes the UTF-8 bytes of "a-b-…" with Microsoft's
 *   64-bit variant of MurmurHash (the one in Azure's expression engine: two
 *   32-bit lanes, MurmurHash3's constants) and writes the 64 bits, high bits
 *   first, as 13 characters of the base-32 alphabet `a-z2-7`.
 * - `guid(a, b, …)` is the name-based (version 5, SHA-1) UUID of "a-b-…" in
 *   ARM's namespace 11fb06fb-712d-4ddd-98c7-e71bbd588830 (RFC 4122 §4.3).
 */
import { createHash } from "node:crypto";

const M32 = 0xffffffff;
const C1 = 0x239b961b; // 597399067
const C2 = 0xab0e9789; // 2869860233
const C3 = 0x85ebca6b; // 2246822507
const C4 = 0xc2b2ae35; // 3266489909

const mul = (a: number, b: number) => Math.imul(a, b) >>> 0;
const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
const le32 = (bytes: Uint8Array, at: number, count: number) => {
  let value = 0;
  for (let i = count - 1; i >= 0; i--) value = ((value << 8) | (bytes[at + i] ?? 0)) >>> 0;
  return value;
};
const fmix = (h: number) => {
  let x = h;
  x = mul(x ^ (x >>> 16), C3);
  x = mul(x ^ (x >>> 13), C4);
  return (x ^ (x >>> 16)) >>> 0;
};

/** Microsoft's MurmurHash64 of some bytes: the high and low 32 bits. */
export function murmurHash64(bytes: Uint8Array): { high: number; low: number } {
  const length = bytes.length;
  let h1 = 0;
  let h2 = 0;
  let index = 0;
  for (; index + 7 < length; index += 8) {
    const k1 = mul(rotl(mul(le32(bytes, index, 4), C1), 15), C2);
    const k2 = mul(rotl(mul(le32(bytes, index + 4, 4), C2), 17), C1);
    h1 = rotl((h1 ^ k1) >>> 0, 19);
    h1 = (mul((h1 + h2) & M32, 5) + 0x561ccd1b) >>> 0;
    h2 = rotl((h2 ^ k2) >>> 0, 13);
    h2 = (mul((h2 + h1) & M32, 5) + 0x0bcaa747) >>> 0;
  }
  const tail = length - index;
  if (tail > 0) {
    h1 = (h1 ^ mul(rotl(mul(le32(bytes, index, Math.min(tail, 4)), C1), 15), C2)) >>> 0;
    if (tail > 4) h2 = (h2 ^ mul(rotl(mul(le32(bytes, index + 4, tail - 4), C2), 17), C1)) >>> 0;
  }
  h1 = (h1 ^ length) >>> 0;
  h2 = (h2 ^ length) >>> 0;
  h1 = (h1 + h2) >>> 0;
  h2 = (h2 + h1) >>> 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 = (h1 + h2) >>> 0;
  h2 = (h2 + h1) >>> 0;
  return { high: h2, low: h1 };
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

export function uniqueString(args: readonly string[]): string {
  const { high, low } = murmurHash64(Buffer.from(args.join("-"), "utf8"));
  let value = (BigInt(high) << 32n) | BigInt(low);
  let text = "";
  for (let i = 0; i < 13; i++) {
    text += BASE32[Number(value >> 59n)];
    value = (value << 5n) & 0xffffffffffffffffn;
  }
  return text;
}

/** A version-5 UUID of a name in a namespace (RFC 4122 §4.3), lower-case, as `guid()` answers. */
export function nameBasedUuid(namespace: string, name: string): string {
  const hash = createHash("sha1")
    .update(Buffer.from(namespace.replaceAll("-", ""), "hex"))
    .update(Buffer.from(name, "utf8"))
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const ARM_GUID_NAMESPACE = "11fb06fb-712d-4ddd-98c7-e71bbd588830";

export const guid = (args: readonly string[]) => nameBasedUuid(ARM_GUID_NAMESPACE, args.join("-"));
