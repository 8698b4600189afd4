import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Marked, type Tokens } from "marked";

/** One page of the site, from one markdown file in `docs/`. */
export interface Lesson {
  /** The markdown file's name, e.g. `02-key-vault.md`. */
  readonly source: string;
  /** The page's file name, e.g. `02-key-vault.html`. */
  readonly href: string;
  /** The text of the file's first `#` heading. */
  readonly title: string;
  /** The title in the navigation: shorter for the introduction. */
  readonly navTitle: string;
  /** Lessons are the introduction and the numbered steps; guides are everything else. */
  readonly kind: "lesson" | "guide";
  readonly markdown: string;
}

/** The lessons in reading order: `index.md`, the numbered lessons, then the guides (e.g. the instructor's). */
export function readLessons(docsDir: string): Lesson[] {
  const rank = (name: string) => (name === "index.md" ? 0 : /^\d/.test(name) ? 1 : 2);
  return readdirSync(docsDir)
    .filter((name) => name.endsWith(".md"))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((source) => {
      const markdown = readFileSync(join(docsDir, source), "utf8");
      const title = /^#\s+(.+)$/m.exec(markdown)?.[1]?.trim() ?? source.replace(/\.md$/, "");
      const navTitle = source === "index.md" ? "Introduction" : title;
      return {
        source,
        href: toHtmlName(source),
        title,
        navTitle,
        kind: rank(source) < 2 ? "lesson" : "guide",
        markdown,
      };
    });
}

/** Markdown to HTML: links between lessons point at the built pages, and headings get anchors. */
export function renderMarkdown(markdown: string): string {
  const usedIds = new Map<string, number>();
  const marked = new Marked({
    gfm: true,
    walkTokens(token) {
      if (token.type === "link") (token as Tokens.Link).href = toHtmlLink((token as Tokens.Link).href);
    },
    renderer: {
      heading({ tokens, depth, text }) {
        const base = slug(text);
        const count = usedIds.get(base) ?? 0;
        usedIds.set(base, count + 1);
        const id = count === 0 ? base : `${base}-${count}`;
        return `<h${depth} id="${id}"><a class="anchor" href="#${id}" aria-hidden="true">#</a>${this.parser.parseInline(tokens)}</h${depth}>\n`;
      },
    },
  });
  return marked.parse(markdown, { async: false });
}

/** `02-key-vault.md#run` → `02-key-vault.html#run`; other links stay as written. */
export function toHtmlLink(href: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith("#")) return href;
  return href.replace(/^((?:\.\/)?[^#?]*?)\.md(?=$|[#?])/, "$1.html");
}

function toHtmlName(source: string): string {
  return source.replace(/\.md$/, ".html");
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/<[^>]+>|&[a-z]+;|`/g, "")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "section"
  );
}
