import { escapeHtml } from "./directives.ts";
import type { Lesson } from "./lessons.ts";

/** Where the typedoc API reference is, relative to the site's root. */
export const API_REFERENCE = "api/index.html";

/** A whole page: the shared navigation, the lesson, and links to the lessons before and after it. */
export function page(lesson: Lesson, body: string, lessons: readonly Lesson[]): string {
  const index = lessons.indexOf(lesson);
  const inOrder = lessons.filter((candidate) => candidate.kind === "lesson");
  const position = inOrder.indexOf(lesson);
  const previous = position > 0 ? inOrder[position - 1] : undefined;
  const next = position >= 0 ? inOrder[position + 1] : undefined;
  const navItem = (item: Lesson) =>
    `<li><a href="${item.href}"${item === lessons[index] ? ' aria-current="page"' : ""}>${escapeHtml(item.navTitle)}</a></li>`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(lesson.title)} · keyless</title>
<link rel="stylesheet" href="assets/diff2html.min.css">
<link rel="stylesheet" href="assets/site.css">
</head>
<body>
<header class="site-header">
  <a class="brand" href="index.html">keyless</a>
  <span class="tagline">how an app on Azure stops carrying secrets</span>
</header>
<div class="layout">
<nav class="site-nav" aria-label="Workshop">
  <h2>Lessons</h2>
  <ol>${inOrder.map(navItem).join("")}</ol>
  <h2>More</h2>
  <ul>${lessons
    .filter((item) => item.kind === "guide")
    .map(navItem)
    .join("")}<li><a href="${API_REFERENCE}">API reference</a></li></ul>
</nav>
<main>
<article class="lesson">
${body}
</article>
<nav class="pager" aria-label="Previous and next lesson">
  ${previous ? `<a class="prev" rel="prev" href="${previous.href}"><span>Previous</span>${escapeHtml(previous.navTitle)}</a>` : "<span></span>"}
  ${next ? `<a class="next" rel="next" href="${next.href}"><span>Next</span>${escapeHtml(next.navTitle)}</a>` : "<span></span>"}
</nav>
</main>
</div>
<footer class="site-footer">Built from <code>docs/</code> and the steps' own source, so every diff on these pages is the real one.</footer>
</body>
</html>
`;
}
