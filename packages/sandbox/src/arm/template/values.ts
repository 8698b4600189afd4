/**
 * The values ARM expressions compute: JSON, nothing more. ARM's engine is
 * .NET's Json.NET underneath, and a few of its habits show through: property
 * names are compared without regard to case, and `string(true)` is "True".
 */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The type names ARM's error messages use (Json.NET's JTokenType). */
export function typeName(value: Json | undefined): string {
  if (value === undefined || value === null) return "Null";
  if (Array.isArray(value)) return "Array";
  if (typeof value === "object") return "Object";
  if (typeof value === "string") return "String";
  if (typeof value === "boolean") return "Boolean";
  return Number.isInteger(value) ? "Integer" : "Float";
}

/** A property of an object, found as ARM finds it: the exact name first, then the name in any case. */
export function getProperty(object: JsonObject, name: string): Json | undefined {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}

/** The key an object uses for a name, in any case, or undefined. */
export const findKey = (object: JsonObject, name: string): string | undefined =>
  Object.keys(object).find((key) => key.toLowerCase() === name.toLowerCase());

/** Deep equality of two JSON values (strings compared exactly, object keys in any order). */
export function deepEquals(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, index) => deepEquals(item, b[index]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => deepEquals(a[key], getProperty(b, key)));
  }
  return false;
}

/** `string(value)`: what ARM writes for a value inside a string (Json.NET's compact JSON for objects and arrays). */
export function toArmString(value: Json): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return String(value);
  if (value === null) return "";
  return JSON.stringify(value);
}

/** A deep copy, so that what one resource's evaluation returns is never shared with another's. */
export const clone = <T extends Json>(value: T): T => structuredClone(value);

/** Sets a property whatever its name: a key such as `__proto__` from a template stays an ordinary key. */
export function setProperty(object: JsonObject, key: string, value: Json): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}
