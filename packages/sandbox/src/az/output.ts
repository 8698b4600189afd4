/**
 * Azure CLI's output: `--output json` (the default), `tsv` (values only, for
 * scripts: `--query id -o tsv`), `table`, `none`, and the simple `--query`
 * paths lessons use (`id`, `principalId`, `[0].id`, `[].name`). Full JMESPath
 * is out of scope: anything else is refused with a clear message.
 */
type Row = Record<string, unknown>;

const isScalar = (value: unknown) => value === null || value === undefined || typeof value !== "object";
const text = (value: unknown) =>
  value === null || value === undefined ? "" : typeof value === "boolean" ? String(value) : String(value);

/** az's tsv: one line per item; an object's scalar values in key order, nested values left out. */
export function toTsv(result: unknown): string {
  const line = (value: unknown) =>
    isScalar(value)
      ? text(value)
      : Array.isArray(value)
        ? value.filter(isScalar).map(text).join("\t")
        : Object.values(value as Row)
            .filter(isScalar)
            .map(text)
            .join("\t");
  return (Array.isArray(result) ? result.map(line) : [line(result)]).join("\n");
}

export function toTable(result: unknown): string {
  const rows = (Array.isArray(result) ? result : [result]).map(
    (row): Row => (isScalar(row) ? { Result: row } : (row as Row)),
  );
  // Like az, a table shows only the columns that are plain values in every row.
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((key) =>
    rows.every((row) => isScalar(row[key])),
  );
  const header = columns.map((column) => column.charAt(0).toUpperCase() + column.slice(1));
  const cells = rows.map((row) => columns.map((column) => text(row[column])));
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((cell) => cell[i]?.length ?? 0)));
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...cells.map(line)].join("\n");
}

/** The subset of JMESPath lessons use: `a.b`, `[0].a`, `[].a`, `[?name=='x'].id`. */
export function query(result: unknown, expression: string): unknown {
  const steps = expression.match(/\[\?[^\]]*\]|\[\d*\]|[^.[\]]+/g) ?? [];
  if (steps.join("").replace(/\./g, "") !== expression.replace(/\./g, ""))
    throw new Error(`The --query '${expression}' is not supported by the sandbox's az.`);
  let value: unknown = result;
  let projecting = false;
  const apply = (item: unknown, step: string): unknown => {
    if (step === "[]") return item;
    const index = /^\[(\d+)\]$/.exec(step)?.[1];
    if (index !== undefined) return Array.isArray(item) ? item[Number(index)] : null;
    return isScalar(item) || Array.isArray(item) ? null : ((item as Row)[step] ?? null);
  };
  for (const step of steps) {
    const filter = /^\[\?\s*(\w+)\s*==\s*'([^']*)'\s*\]$/.exec(step);
    if (filter) {
      if (!Array.isArray(value)) return null;
      value = value.filter((item) => !isScalar(item) && String((item as Row)[filter[1] ?? ""]) === filter[2]);
      projecting = true;
    } else if (step === "[]") {
      if (!Array.isArray(value)) return null;
      projecting = true;
    } else if (projecting && Array.isArray(value)) {
      value = value.map((item) => apply(item, step)).filter((item) => item !== null);
    } else {
      value = apply(value, step);
    }
  }
  return value;
}

/** Members in alphabetical order at every depth, as az prints JSON (knack's `sort_keys=True`). */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (isScalar(value)) return value;
  const entries = Object.entries(value as Row).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, item]) => [key, sorted(item)]));
}

/**
 * az's transform of every result: an object whose `id` names a resource in a resource group gets
 * `resourceGroup`, at any depth (azure-cli's `_add_resource_group`).
 */
export function withResourceGroups(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withResourceGroups);
  if (isScalar(value)) return value;
  const object = value as Row;
  const added = Object.fromEntries(Object.entries(object).map(([key, item]) => [key, withResourceGroups(item)]));
  const hasGroup = Object.keys(object).some((key) => key.toLowerCase() === "resourcegroup");
  // az reads the group from parts 3 and 4 and the name from part 8: a group's own id gets none.
  const parts = typeof object["id"] === "string" ? object["id"].split("/") : [];
  const group = parts[3]?.toLowerCase() === "resourcegroups" && parts.length > 8 ? parts[4] : undefined;
  return !hasGroup && group ? { ...added, resourceGroup: group } : added;
}

export function format(result: unknown, output: string): string | undefined {
  if (result === undefined || output === "none") return undefined;
  if (output === "tsv") return toTsv(result);
  if (output === "table") return toTable(result);
  return JSON.stringify(sorted(result), null, 2);
}
