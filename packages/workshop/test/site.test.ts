/**
 * The documentation site as a learner sees it: a real browser opens every
 * lesson, and every internal link on every page must lead somewhere.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { CHROMIUM_MISSING, chromiumOptions, hasChromium } from "@keyless/test-config/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../src/layout/repo.ts";
import { buildSite } from "../src/site/build.ts";
import { API_REFERENCE } from "../src/site/layout.ts";
import { readLessons } from "../src/site/lessons.ts";

const SCREENSHOTS = `${REPO_ROOT}.test-results`;
const lessons = readLessons(`${REPO_ROOT}docs`);

if (!hasChromium && !process.env["CI"])
  console.warn(`Skipping the site's browser test: ${CHROMIUM_MISSING}. With CI set, this fails instead.`);

// In CI a missing browser is a failure, not a skip: the site would go untested.
if (!hasChromium && process.env["CI"]) {
  it("has Chromium for the site's browser test", () => {
    throw new Error(`The site's browser test cannot run: ${CHROMIUM_MISSING}.`);
  });
}

describe.skipIf(!hasChromium)("the documentation site in a browser", () => {
  let server: Server;
  let origin: string;
  let context: BrowserContext;
  let userDataDir: string;
  /** The site as `npm run docs` builds it, in a folder of the test's own: the learner's `site/` is never touched. */
  let siteDir: string;

  beforeAll(async () => {
    // What `npm run docs` does, in the same order: typedoc's API reference, then the lessons beside it.
    siteDir = mkdtempSync(join(tmpdir(), "keyless-site-browser-"));
    buildApiReference(join(siteDir, "api"));
    expect((await buildSite({ outDir: siteDir })).hasApiReference).toBe(true);
    server = await serveStatic(siteDir);
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    userDataDir = mkdtempSync(join(tmpdir(), "keyless-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      ...chromiumOptions(),
      viewport: { width: 1280, height: 900 },
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (siteDir) rmSync(siteDir, { recursive: true, force: true });
  });

  /** Opens a page and records every request it makes that fails or leaves the site. */
  async function open(path: string): Promise<{ page: Page; problems: string[] }> {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(origin) && !request.url().startsWith("data:"))
        problems.push(`off-site request: ${request.url()}`);
    });
    page.on("response", (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    page.on("pageerror", (error) => problems.push(`script error: ${error.message}`));
    const response = await page.goto(`${origin}/${path}`, { waitUntil: "load" });
    expect(response?.status(), path).toBe(200);
    return { page, problems };
  }

  /** Every internal link a page holds, from the `href`s as written. */
  const linksOn = (page: Page) =>
    page.locator("a[href]").evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute("href") ?? ""));
  /** The links on each page opened so far, by its path: the link test follows them without opening it again. */
  const seen = new Map<string, { url: string; hrefs: string[] }>();

  for (const lesson of lessons) {
    it(`shows ${lesson.href}: its title, heading, navigation and diff`, async () => {
      const { page, problems } = await open(lesson.href);
      expect(await page.title()).toBe(`${lesson.title} · keyless`);
      await expect.poll(() => page.locator("article h1").first().textContent()).toContain(lesson.title);
      const navLinks = await page
        .locator("nav.site-nav a")
        .evaluateAll((links) => links.map((link) => link.getAttribute("href")));
      expect(navLinks).toEqual(expect.arrayContaining([...lessons.map((item) => item.href), API_REFERENCE]));
      expect(await page.locator('nav.site-nav a[aria-current="page"]').getAttribute("href")).toBe(lesson.href);

      const directives = lesson.markdown.match(/<!--\s*keyless:diff\s/g)?.length ?? 0;
      const diffs = await page.locator("figure.lesson-diff").count();
      const notes = await page.locator(".missing-step").count();
      expect(diffs + notes, "a diff (or the missing-step note) for each keyless:diff directive").toBe(directives);
      if (diffs > 0)
        expect(await page.locator(".lesson-diff > .d2h-wrapper .d2h-file-wrapper").first().isVisible()).toBe(true);
      // The supporting files are there, folded: the lesson's own files are what shows.
      for (const folded of await page.locator(".lesson-diff details.supporting-files").all()) {
        expect(await folded.getAttribute("open")).toBeNull();
        expect(await folded.locator(".d2h-file-wrapper").first().isVisible()).toBe(false);
      }
      // The Markdown's copy of the code, for GitHub, is not shown a second time.
      expect(await page.locator("article pre code.language-diff").count()).toBe(0);
      expect(problems).toEqual([]);
      seen.set(lesson.href, { url: page.url(), hrefs: await linksOn(page) });
      await page.close();
    });
  }

  it("has no broken internal link on any lesson page or on the API reference's front page", async () => {
    const pages = [...lessons.map((lesson) => lesson.href), API_REFERENCE];
    const links = new Map<string, string>(); // target URL → the page that links to it
    for (const path of pages) {
      // A lesson's own test above opened it already (and found no problem on it); any other page is opened here.
      if (!seen.has(path)) {
        const { page, problems } = await open(path);
        expect(problems, path).toEqual([]);
        seen.set(path, { url: page.url(), hrefs: await linksOn(page) });
        await page.close();
      }
      const { url, hrefs } = seen.get(path) ?? { url: "", hrefs: [] };
      for (const href of hrefs) {
        const target = new URL(href, url);
        if (target.origin === origin && !links.has(target.href)) links.set(target.href, path);
      }
    }
    const broken: string[] = [];
    const bodies = new Map<string, string>();
    for (const [target, from] of links) {
      const url = new URL(target);
      const hash = decodeURIComponent(url.hash.slice(1));
      url.hash = "";
      if (!bodies.has(url.href)) {
        const response = await fetch(url);
        bodies.set(url.href, response.status === 200 ? await response.text() : `HTTP ${response.status}`);
      }
      const body = bodies.get(url.href) ?? "";
      if (body.startsWith("HTTP ")) broken.push(`${from} → ${target}: ${body}`);
      else if (hash && !body.includes(`id="${hash}"`)) broken.push(`${from} → ${target}: no element with id "${hash}"`);
    }
    expect(links.size).toBeGreaterThan(pages.length);
    expect(broken).toEqual([]);
  });

  it("looks right in light and dark mode (screenshots in .test-results/)", async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const lesson = lessons.find((candidate) => /keyless:diff/.test(candidate.markdown)) ?? lessons[0];
    if (!lesson) throw new Error("docs/ has no lesson to show.");
    const { page } = await open(lesson.href);
    await page.screenshot({ path: `${SCREENSHOTS}/site.png` });
    const diff = page.locator(".lesson-diff");
    if ((await diff.count()) > 0) {
      await diff.first().evaluate((element) => element.scrollIntoView());
      await page.screenshot({ path: `${SCREENSHOTS}/site-diff.png` });
      await page.evaluate("scrollTo(0, 0)");
    }
    await page.emulateMedia({ colorScheme: "dark" });
    const background = await page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
    expect(background).not.toBe("rgb(255, 255, 255)");
    await page.screenshot({ path: `${SCREENSHOTS}/site-dark.png` });
    await page.close();
  });
});

/** typedoc with the repository's typedoc.json, written to `out` instead of its `site/api`. */
function buildApiReference(out: string): void {
  const result = spawnSync(process.execPath, [`${REPO_ROOT}node_modules/typedoc/bin/typedoc`, "--out", out], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  if (result.status !== 0)
    throw new Error(`typedoc failed, so the API reference is missing:\n${result.stdout}${result.stderr}`);
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

/** A tiny static file server for the built site, on a free loopback port. */
async function serveStatic(root: string): Promise<Server> {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? "/", "http://site").pathname));
    const file = join(root, path.endsWith("/") ? `${path}index.html` : path);
    if (!file.startsWith(root) || !existsSync(file) || !extname(file)) {
      response.writeHead(404, { "content-type": "text/plain" }).end("Not found");
      return;
    }
    response
      .writeHead(200, { "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream" })
      .end(readFileSync(file));
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return server;
}
