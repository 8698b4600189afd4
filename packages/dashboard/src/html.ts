/**
 * HTML by tagged template: every interpolated value is escaped unless it is
 * already HTML made here (nested templates, arrays of them). The only way
 * the page is built, so no value from a log, a span or a secret name can
 * become markup.
 */
export class Html {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return "";
  if (part instanceof Html) return part.toString();
  if (Array.isArray(part)) return part.map(render).join("");
  return escapeHtml(part);
}

/** `html\`<p>${text}</p>\``: text escaped, nested `html` kept; false, null and undefined render nothing. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  return new Html(
    strings.reduce((text, string, index) => text + string + (index < values.length ? render(values[index]) : ""), ""),
  );
}

/** Markup that is already safe (a constant of this package). */
export const raw = (text: string) => new Html(text);
