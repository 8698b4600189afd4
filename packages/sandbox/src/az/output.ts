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

export function format(result: unknown, output: string): string | undefined {
  if (result === undefined || output === "none") return undefined;
  if (output === "tsv") return toTsv(result);
  if (output === "table") return toTable(result);
  return JSON.stringify(result, null, 2);
}
