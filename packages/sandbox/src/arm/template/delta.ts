/**
 * What-if's comparison of what a resource is with what the template would
 * make it: a list of property changes, Azure's `WhatIfPropertyChange`.
 *
 * Only what the template sets counts: a property the host added (read-only,
 * such as `principalId` or `vaultUri`) is no change, and neither is one the
 * template does not mention (an incremental PUT leaves it). Objects are
 * compared property by property, their changes flattened into dotted paths
 * (`properties.siteConfig.alwaysOn`); arrays are replaced whole by a PUT, so
 * they are compared item by item under one `Array` change, whose children's
 * paths are indices, as the Azure CLI prints them.
 */
import { deepEquals, getProperty, isObject, type Json, type JsonObject } from "./values.ts";
import type { ValuePath } from "./walk.ts";

export type PropertyChangeType = "Create" | "Delete" | "Modify" | "Array" | "NoEffect";

export interface PropertyChange {
  readonly path: string;
  readonly propertyChangeType: PropertyChangeType;
  readonly before?: Json;
  readonly after?: Json;
  readonly children?: PropertyChange[];
}

/** Members of a resource that are its identity, shown but never a change. */
const IDENTITY = new Set(["id", "name", "type", "apiversion"]);

/** `westeurope` and `West Europe` are one location to ARM. */
const normalizeLocation = (value: Json | undefined) =>
  typeof value === "string" ? value.toLowerCase().replaceAll(" ", "") : value;

const samePath = (a: ValuePath, b: ValuePath) =>
  a.length <= b.length && a.every((segment, index) => String(segment).toLowerCase() === String(b[index]).toLowerCase());

/**
 * The changes from `before` to `after`, leaving out `skip` paths: values
 * not known until deployment, and secure values (write-only: Azure cannot
 * read them back either).
 */
export function diffResource(before: JsonObject, after: JsonObject, skip: readonly ValuePath[]): PropertyChange[] {
  const skipped = (path: ValuePath) => skip.some((ignored) => samePath(ignored, path));
  const changes: PropertyChange[] = [];

  const leaf = (b: Json, a: Json, path: ValuePath, display: string) => {
    const equal =
      path.length === 1 && String(path[0]).toLowerCase() === "location"
        ? normalizeLocation(b) === normalizeLocation(a)
        : deepEquals(b, a);
    return equal ? [] : [{ path: display, propertyChangeType: "Modify" as const, before: b, after: a }];
  };

  const value = (b: Json, a: Json, path: ValuePath, display: string, into: PropertyChange[]) => {
    if (isObject(b) && isObject(a)) object(b, a, path, `${display}.`, into);
    else if (Array.isArray(b) && Array.isArray(a)) {
      const children = array(b, a, path);
      if (children.length > 0) into.push({ path: display, propertyChangeType: "Array", children });
    } else into.push(...leaf(b, a, path, display));
  };

  const object = (b: JsonObject, a: JsonObject, path: ValuePath, prefix: string, into: PropertyChange[]) => {
    for (const [key, item] of Object.entries(a)) {
      const here = [...path, key];
      if ((path.length === 0 && IDENTITY.has(key.toLowerCase())) || skipped(here)) continue;
      const existing = getProperty(b, key);
      if (existing === undefined) into.push({ path: `${prefix}${key}`, propertyChangeType: "Create", after: item });
      else value(existing, item, here, `${prefix}${key}`, into);
    }
  };

  const array = (b: Json[], a: Json[], path: ValuePath): PropertyChange[] => {
    const children: PropertyChange[] = [];
    for (let index = 0; index < Math.max(a.length, b.length); index++) {
      const here = [...path, index];
      if (skipped(here)) continue;
      const [was, will] = [b[index], a[index]];
      if (will === undefined) children.push({ path: String(index), propertyChangeType: "Delete", before: was ?? null });
      else if (was === undefined) children.push({ path: String(index), propertyChangeType: "Create", after: will });
      else if (isObject(was) && isObject(will)) {
        const nested: PropertyChange[] = [];
        object(was, will, here, "", nested);
        if (nested.length > 0) children.push({ path: String(index), propertyChangeType: "Modify", children: nested });
      } else children.push(...leaf(was, will, here, String(index)));
    }
    return children;
  };

  object(before, after, [], "", changes);
  return changes;
}
