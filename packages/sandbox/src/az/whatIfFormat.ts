/**
 * What `az deployment group what-if` prints: the Azure CLI's own formatter
 * (azure-cli's `command_modules/resource/_formatters.py`, MIT licence, with
 * its `_color.py`, `_symbol.py` and `split_resource_id`), line for line in
 * TypeScript, so that the sandbox's `az` prints a what-if exactly as the real
 * one does:
 *
 *   Resource changes: 1 to create, 1 to modify, 36 no change.
 *
 * with each resource's `+` (create), `~` (modify), `=` (no change), `*`
 * (ignore) line, and each property change under it.
 */

type ChangeType = "Create" | "Delete" | "Ignore" | "Deploy" | "NoChange" | "Modify" | "Unsupported";
type PropertyChangeType = "Create" | "Delete" | "Modify" | "Array" | "NoEffect";
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface PropertyChange {
  readonly path: string;
  readonly propertyChangeType: PropertyChangeType;
  readonly before?: Json;
  readonly after?: Json;
  readonly children?: readonly PropertyChange[];
}

export interface ResourceChange {
  readonly resourceId: string;
  readonly changeType: ChangeType;
  readonly before?: Json;
  readonly after?: Json;
  readonly delta?: readonly PropertyChange[];
}

// ——— _color.py: colours, and a builder that restores the colour around it ———

const COLOR = {
  orange: "\u001b[38;5;208m",
  green: "\u001b[38;5;77m",
  purple: "\u001b[38;5;141m",
  blue: "\u001b[38;5;39m",
  gray: "\u001b[38;5;246m",
  reset: "\u001b[0m",
} as const;
type Color = (typeof COLOR)[keyof typeof COLOR];

class ColoredStringBuilder {
  readonly #enabled: boolean;
  readonly #contents: string[] = [];
  readonly #colors: Color[] = [];
  constructor(enabled: boolean) {
    this.#enabled = enabled;
  }
  build(): string {
    return this.#contents.join("");
  }
  append(value: unknown, color?: Color): this {
    if (color) this.#push(color);
    this.#contents.push(String(value));
    if (color) this.#pop();
    return this;
  }
  appendLine(value: unknown = "", color?: Color): this {
    return this.append(`${String(value)}\n`, color);
  }
  /** `with builder.new_color_scope(color):` */
  scope(color: Color, body: () => void): void {
    this.#push(color);
    body();
    this.#pop();
  }
  #push(color: Color): void {
    if (!this.#enabled) return;
    this.#colors.push(color);
    this.#contents.push(color);
  }
  #pop(): void {
    if (!this.#enabled) return;
    this.#colors.pop();
    this.#contents.push(this.#colors.at(-1) ?? COLOR.reset);
  }
}

// ——— the tables of _formatters.py ———

const CHANGE_COLOR: Record<string, Color> = {
  Create: COLOR.green,
  Delete: COLOR.orange,
  Modify: COLOR.purple,
  Deploy: COLOR.blue,
  NoChange: COLOR.reset,
  Ignore: COLOR.gray,
  Unsupported: COLOR.gray,
  NoEffect: COLOR.gray,
};
const PROPERTY_COLOR: Record<string, Color> = {
  Create: COLOR.green,
  Delete: COLOR.orange,
  Modify: COLOR.purple,
  Array: COLOR.purple,
  NoEffect: COLOR.gray,
};
const CHANGE_SYMBOL: Record<string, string> = {
  Create: "+",
  Delete: "-",
  Modify: "~",
  Deploy: "!",
  NoChange: "=",
  Ignore: "*",
  Unsupported: "x",
  NoEffect: "x",
};
const PROPERTY_SYMBOL: Record<string, string> = { Create: "+", Delete: "-", Modify: "~", Array: "~", NoEffect: "x" };
const CHANGE_WEIGHT: Record<string, number> = {
  Delete: 0,
  Create: 1,
  Deploy: 2,
  Modify: 3,
  NoChange: 4,
  Unsupported: 5,
  Ignore: 6,
  NoEffect: 7,
};
const PROPERTY_WEIGHT: Record<string, number> = { Delete: 0, Create: 1, Modify: 2, Array: 2, NoEffect: 3 };

// ——— Python's helpers ———

/** Python's `sorted` with a tuple key: compares element by element. */
const byKey =
  <T>(key: (item: T) => readonly (number | string)[]) =>
  (a: T, b: T): number => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) {
      const [x, y] = [ka[i] ?? "", kb[i] ?? ""];
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  };
/** Python's `str.title()`: "NoChange" becomes "Nochange". */
const title = (text: string) =>
  text.toLowerCase().replace(/(^|[^a-z])([a-z])/g, (_, before, letter) => before + letter.toUpperCase());
const isLeaf = (value: unknown) =>
  value === null ||
  value === undefined ||
  typeof value !== "object" ||
  (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0);
const isNonEmptyArray = (value: unknown): value is Json[] => Array.isArray(value) && value.length > 0;
const isNonEmptyObject = (value: unknown): value is { [key: string]: Json } =>
  typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length > 0;

/** `_utils.split_resource_id`: a resource id's scope and its id relative to it. */
function splitResourceId(id: string): [scope: string, relative: string] {
  let rest = id;
  const group = /^\/?providers\/Microsoft.Management\/managementGroups\/([\w\d_.()-]+)/i.exec(rest);
  rest = rest.slice(group?.[0].length ?? 0);
  const subscription = /^\/?subscriptions\/([a-f0-9-]+)/i.exec(rest);
  rest = rest.slice(subscription?.[0].length ?? 0);
  const resourceGroup = /^\/resourceGroups\/([-\w._()]+)/i.exec(rest);
  rest = rest.slice(resourceGroup?.[0].length ?? 0);
  const relative = /^\/providers\/(.+$)/i.exec(rest);
  const relativeId = relative?.[1] ?? "";
  if (group) {
    const groupId = `Microsoft.Management/ManagementGroups/${group[1]}`;
    return relativeId ? [`/providers/${groupId}`, relativeId] : ["/", groupId];
  }
  if (subscription) {
    const scope = `/subscriptions/${(subscription[1] ?? "").toLowerCase()}`;
    if (resourceGroup) {
      const groupId = `resourceGroups/${resourceGroup[1]}`;
      return relative ? [`${scope}/${groupId}`, relativeId] : [scope, groupId];
    }
    return [scope, relativeId];
  }
  return ["/", relativeId];
}

// ——— format_what_if_operation_result ———

export function formatWhatIf(changes: readonly ResourceChange[], enableColor: boolean): string {
  const builder = new ColoredStringBuilder(enableColor);
  builder.appendLine(
    "Note: The result may contain false positive predictions (noise).\nYou can help us improve the accuracy of the result by opening an issue here: https://aka.ms/WhatIfIssues",
  );
  builder.appendLine();
  formatLegend(builder, changes);
  formatResourceChanges(builder, changes);
  formatStats(builder, changes);
  return builder.build();
}

function formatLegend(builder: ColoredStringBuilder, changes: readonly ResourceChange[]): void {
  if (changes.length === 0) return;
  const types = new Set<string>();
  const addProperties = (properties: readonly PropertyChange[] | undefined) => {
    for (const property of properties ?? []) {
      types.add(property.propertyChangeType === "Array" ? "Modify" : property.propertyChangeType);
      addProperties(property.children);
    }
  };
  for (const change of changes) {
    types.add(change.changeType);
    addProperties(change.delta);
  }
  const sorted = [...types].sort(byKey((type) => [CHANGE_WEIGHT[type] ?? 0]));
  builder.append("Resource and property changes are indicated with ");
  builder.appendLine(sorted.length === 1 ? "this symbol:" : "these symbols:");
  for (const type of sorted) {
    indent(builder);
    builder.append(CHANGE_SYMBOL[type], CHANGE_COLOR[type]).append(" ");
    builder.appendLine(title(type));
  }
}

function formatStats(builder: ColoredStringBuilder, changes: readonly ResourceChange[]): void {
  builder.appendLine().append("Resource changes: ");
  if (changes.length === 0) {
    builder.append("no change.");
    return;
  }
  const counts = new Map<string, number>();
  for (const change of [...changes].sort(byKey((c) => [CHANGE_WEIGHT[c.changeType] ?? 0])))
    counts.set(change.changeType, (counts.get(change.changeType) ?? 0) + 1);
  const words: Record<string, string> = {
    Create: "to create",
    Delete: "to delete",
    Deploy: "to deploy",
    Modify: "to modify",
    Ignore: "to ignore",
    NoChange: "no change",
    Unsupported: "unsupported",
  };
  builder.append([...counts].map(([type, count]) => `${count} ${words[type] ?? type}`).join(", ")).append(".");
}

function formatResourceChanges(builder: ColoredStringBuilder, changes: readonly ResourceChange[]): void {
  if (changes.length === 0) return;
  const scopeOf = (change: ResourceChange) => splitResourceId(change.resourceId)[0];
  const byScope = new Map<string, ResourceChange[]>();
  for (const change of [...changes].sort(byKey((c) => [scopeOf(c).toUpperCase()]))) {
    const key = scopeOf(change).toUpperCase();
    byScope.set(key, [...(byScope.get(key) ?? []), change]);
  }
  builder.appendLine();
  builder.appendLine(`The deployment will update the following ${byScope.size === 1 ? "scope:" : "scopes"}`);
  for (const inScope of byScope.values()) formatScope(builder, scopeOf(inScope[0] as ResourceChange), inScope);
}

function formatScope(builder: ColoredStringBuilder, scope: string, changes: readonly ResourceChange[]): void {
  builder.appendLine().appendLine(`Scope: ${scope}`);
  const relative = (change: ResourceChange) => splitResourceId(change.resourceId)[1];
  const sorted = [...changes].sort(byKey((c) => [CHANGE_WEIGHT[c.changeType] ?? 0, relative(c)]));
  let index = 0;
  while (index < sorted.length) {
    const type = sorted[index]?.changeType ?? "NoChange";
    builder.scope(CHANGE_COLOR[type] ?? COLOR.reset, () => {
      for (; index < sorted.length && sorted[index]?.changeType === type; index++)
        formatResourceChange(builder, sorted[index] as ResourceChange, index === sorted.length - 1);
    });
  }
}

function formatResourceChange(builder: ColoredStringBuilder, change: ResourceChange, isLast: boolean): void {
  const [, relativeId] = splitResourceId(change.resourceId);
  const source = isNonEmptyObject(change.before) ? change.before : isNonEmptyObject(change.after) ? change.after : {};
  const apiVersion = source["apiVersion"];
  builder.appendLine();
  formatPath(
    builder,
    relativeId,
    0,
    1,
    () => builder.append(CHANGE_SYMBOL[change.changeType]).append(" "),
    () => {
      if (!apiVersion) return;
      builder.scope(COLOR.reset, () => builder.append(" ").append("[").append(apiVersion).append("]"));
    },
  );
  // Python's truth: an empty object is no value to show.
  if (change.changeType === "Create" && isNonEmptyObject(change.after)) formatJson(builder, change.after, "", 0, 2);
  else if (change.changeType === "Delete" && isNonEmptyObject(change.before))
    formatJson(builder, change.before, "", 0, 2);
  else if (change.delta?.length)
    builder.scope(COLOR.reset, () => {
      builder.appendLine();
      formatPropertyChanges(builder, sortProperties(change.delta ?? []));
    });
  else if (isLast) builder.appendLine();
}

const sortProperties = (changes: readonly PropertyChange[]) =>
  [...changes].sort(byKey((c) => [PROPERTY_WEIGHT[c.propertyChangeType] ?? 0, c.path]));

function formatPropertyChanges(
  builder: ColoredStringBuilder,
  changes: readonly PropertyChange[],
  indentLevel = 2,
): void {
  const maxPathLength = Math.max(0, ...changes.filter(considerPath).map((change) => change.path.length));
  for (const change of changes) {
    formatPropertyChange(builder, change, maxPathLength, indentLevel);
    builder.appendLine();
  }
}

function formatPropertyChange(
  builder: ColoredStringBuilder,
  change: PropertyChange,
  max: number,
  indentLevel: number,
): void {
  const { before, after, children } = change;
  switch (change.propertyChangeType) {
    case "Create":
      formatPropertyChangePath(builder, change, after, max, indentLevel);
      builder.scope(PROPERTY_COLOR["Create"] ?? COLOR.green, () =>
        formatJson(builder, after ?? null, "", 0, indentLevel + 1),
      );
      return;
    case "Delete":
      formatPropertyChangePath(builder, change, before, max, indentLevel);
      builder.scope(PROPERTY_COLOR["Delete"] ?? COLOR.orange, () =>
        formatJson(builder, before ?? null, "", 0, indentLevel + 1),
      );
      return;
    case "Modify":
      formatPropertyChangePath(builder, change, before, max, indentLevel);
      formatPropertyModify(builder, before ?? null, after ?? null, children, indentLevel + 1);
      return;
    case "Array":
      formatPropertyChangePath(builder, change, children as unknown, max, indentLevel);
      formatPropertyArrayChange(builder, change, children ?? [], indentLevel + 1);
      return;
    case "NoEffect":
      formatPropertyChangePath(builder, change, after, max, indentLevel);
      builder.scope(PROPERTY_COLOR["NoEffect"] ?? COLOR.gray, () =>
        formatJson(builder, after ?? null, "", 0, indentLevel + 1),
      );
      return;
  }
}

function formatPropertyChangePath(
  builder: ColoredStringBuilder,
  change: PropertyChange,
  value: unknown,
  max: number,
  indentLevel: number,
): void {
  if (!change.path) return;
  let padding = max - change.path.length + 1;
  if (isNonEmptyArray(value)) padding = 1;
  if (isNonEmptyObject(value)) padding = 0;
  if (change.propertyChangeType === "Modify" && change.children?.length) padding = 0;
  formatPath(
    builder,
    change.path,
    padding,
    indentLevel,
    () =>
      builder.append(PROPERTY_SYMBOL[change.propertyChangeType], PROPERTY_COLOR[change.propertyChangeType]).append(" "),
    () => builder.append(":", COLOR.reset),
  );
}

function formatPropertyModify(
  builder: ColoredStringBuilder,
  before: Json,
  after: Json,
  children: readonly PropertyChange[] | undefined,
  indentLevel: number,
): void {
  if (children?.length) {
    builder.appendLine().appendLine();
    formatPropertyChanges(builder, sortProperties(children), indentLevel);
    return;
  }
  builder.scope(PROPERTY_COLOR["Delete"] ?? COLOR.orange, () => formatJson(builder, before, "", 0, indentLevel));
  if (isNonEmptyObject(before)) {
    builder.appendLine();
    indent(builder, indentLevel);
  } else builder.append(" ");
  builder.append("=>");
  if (!isNonEmptyObject(after)) builder.append(" ");
  builder.scope(PROPERTY_COLOR["Create"] ?? COLOR.green, () => formatJson(builder, after, "", 0, indentLevel));
  if (!isLeaf(before) && isLeaf(after)) builder.appendLine();
}

function formatPropertyArrayChange(
  builder: ColoredStringBuilder,
  parent: PropertyChange,
  changes: readonly PropertyChange[],
  indentLevel: number,
): void {
  let level = indentLevel;
  if (!parent.path) {
    // A nested array change has no path of its own: one level less, and the indentation before "[".
    level -= 1;
    indent(builder, level);
  }
  if (changes.length === 0) {
    builder.appendLine("[]");
    return;
  }
  builder.append("[").appendLine();
  formatPropertyChanges(
    builder,
    [...changes].sort(byKey((c) => [Number(c.path), PROPERTY_WEIGHT[c.propertyChangeType] ?? 0])),
    level,
  );
  indent(builder, level);
  builder.append("]");
}

/** `_should_consider_property_change_path`: which paths line the colons up. */
function considerPath(change: PropertyChange): boolean {
  if (change.propertyChangeType === "Create") return isLeaf(change.after);
  if (change.propertyChangeType === "Delete" || change.propertyChangeType === "Modify") return isLeaf(change.before);
  return !change.children?.length;
}

// ——— format_json: a value, each member on its line, the colons lined up ———

function formatJson(builder: ColoredStringBuilder, value: Json, path: string, max: number, indentLevel: number): void {
  if (isLeaf(value)) {
    formatPath(builder, path, max - path.length + 1, indentLevel, undefined, () => builder.append(":", COLOR.reset));
    formatLeaf(builder, value);
  } else if (isNonEmptyArray(value)) {
    formatPath(builder, path, 1, indentLevel, undefined, () => builder.append(":", COLOR.reset));
    formatNonEmptyArray(builder, value, indentLevel);
  } else if (isNonEmptyObject(value)) formatNonEmptyObject(builder, value, path, max, indentLevel);
}

function formatLeaf(builder: ColoredStringBuilder, value: Json): void {
  if (value === null || value === undefined) builder.append("null");
  else if (typeof value === "boolean") builder.append(String(value));
  else if (typeof value === "string") builder.append('"').append(value).append('"');
  else if (Array.isArray(value)) builder.append("[]");
  else if (typeof value === "object") builder.append("{}");
  else builder.append(value);
}

function formatNonEmptyArray(builder: ColoredStringBuilder, value: Json[], indentLevel: number): void {
  builder.append("[", COLOR.reset).appendLine();
  // The widest index of a leaf: the colons of the leaves line up.
  const max = String(value.reduce<number>((last, item, index) => (isLeaf(item) ? index : last), 0)).length;
  value.forEach((item, index) => {
    if (isNonEmptyObject(item)) {
      formatPath(builder, String(index), 0, indentLevel + 1, undefined, () => builder.append(":", COLOR.reset));
      formatNonEmptyObject(builder, item, "", 0, indentLevel + 1);
    } else formatJson(builder, item, String(index), max, indentLevel + 1);
    builder.appendLine();
  });
  indent(builder, indentLevel);
  builder.append("]", COLOR.reset);
}

function formatNonEmptyObject(
  builder: ColoredStringBuilder,
  value: { [key: string]: Json },
  path: string,
  max: number,
  indentLevel: number,
): void {
  const isRoot = !path;
  let level = indentLevel;
  let width = max;
  if (isRoot) {
    builder.appendLine().appendLine();
    width = maxPathLengthOfObject(value);
    level += 1;
  }
  for (const [key, item] of Object.entries(value)) {
    formatJson(builder, item, isRoot ? key : `${path}.${key}`, width, level);
    if (!isNonEmptyObject(item)) builder.appendLine();
  }
}

/** The longest dotted path of an object's leaves, arrays left out (their members sit on lines of their own). */
function maxPathLengthOfObject(value: { [key: string]: Json }): number {
  let max = 0;
  for (const [key, item] of Object.entries(value)) {
    if (isNonEmptyArray(item)) continue;
    max = Math.max(max, isNonEmptyObject(item) ? key.length + 1 + maxPathLengthOfObject(item) : key.length);
  }
  return max;
}

function formatPath(
  builder: ColoredStringBuilder,
  path: string,
  padding: number,
  indentLevel: number,
  head?: () => void,
  tail?: () => void,
): void {
  if (!path) return;
  indent(builder, indentLevel);
  head?.();
  builder.append(path);
  tail?.();
  builder.append(" ".repeat(Math.max(0, padding)));
}

function indent(builder: ColoredStringBuilder, level = 1): void {
  builder.append("  ".repeat(level));
}
