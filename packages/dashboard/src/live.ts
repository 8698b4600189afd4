/**
 * Server-Sent Events: each region of the page is rendered again when what it
 * shows may have changed (an audit event, a batch of spans, an action, a
 * role assignment taking effect), and sent, as an event named after the
 * region, only when its HTML did change. A page that connects gets the
 * regions that changed since it was rendered.
 */
import type { ServerResponse } from "node:http";
import { escapeHtml } from "./html.ts";
import type { Region } from "./page.ts";

/** Changes are gathered this long before the regions are rendered again: a burst of events is one update. */
const COALESCE_MS = 150;
/** A comment this often keeps the connection open through anything that closes idle ones. */
const KEEPALIVE_MS = 15_000;

export class LiveRegions {
  readonly #render: (region: Region) => Promise<string>;
  readonly #regions: readonly Region[];
  readonly #clients = new Set<ServerResponse>();
  readonly #current = new Map<Region, { html: string; version: number }>();
  readonly #dirty = new Set<Region>();
  #version = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  readonly #keepalive: NodeJS.Timeout;

  constructor(regions: readonly Region[], render: (region: Region) => Promise<string>) {
    this.#regions = regions;
    this.#render = render;
    this.#keepalive = setInterval(() => this.#write(": keepalive\n\n"), KEEPALIVE_MS).unref();
  }

  /** The version the page is rendered at: it asks for what changed since. */
  get version(): number {
    return this.#version;
  }

  /** Renders a region now (for the page) and remembers it. */
  async snapshot(region: Region): Promise<string> {
    const rendered = await this.#render(region);
    this.#remember(region, rendered);
    return rendered;
  }

  /** Something that a region shows may have changed: render it again soon. */
  mark(...regions: Region[]): void {
    for (const region of regions) this.#dirty.add(region);
    if (this.#timer || this.#clients.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushing = this.#flushing.then(() => this.#flush()).catch(() => {});
    }, COALESCE_MS);
    this.#timer.unref();
  }

  /** A sentence for screen readers (and the status line): a denial, an action's result. */
  announce(text: string): void {
    this.#send("announce", escapeHtml(text));
  }

  /** A new SSE connection: what changed since `since` is sent at once. */
  connect(res: ServerResponse, since: number): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 2000\n\n");
    this.#clients.add(res);
    res.on("close", () => this.#clients.delete(res));
    for (const [region, { html, version }] of this.#current) if (version > since) res.write(event(region, html));
    // What it shows may be older than the last render (nobody was listening): look again.
    this.mark(...this.#regions);
  }

  get clients(): number {
    return this.#clients.size;
  }

  close(): void {
    clearInterval(this.#keepalive);
    if (this.#timer) clearTimeout(this.#timer);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  async #flush(): Promise<void> {
    const regions = [...this.#dirty];
    this.#dirty.clear();
    for (const region of regions) {
      let rendered: string;
      try {
        rendered = await this.#render(region);
      } catch {
        continue;
      }
      if (this.#remember(region, rendered)) this.#send(region, rendered);
    }
  }

  /** True when the region's HTML changed. */
  #remember(region: Region, rendered: string): boolean {
    if (this.#current.get(region)?.html === rendered) return false;
    this.#current.set(region, { html: rendered, version: ++this.#version });
    return true;
  }

  #send(name: string, data: string): void {
    this.#write(event(name, data));
  }

  #write(text: string): void {
    for (const client of this.#clients) client.write(text);
  }
}

/** One SSE event: its name, and its data line by line. */
function event(name: string, data: string): string {
  return `event: ${name}\n${data
    .split(/\r?\n/)
    .map((line) => `data: ${line}`)
    .join("\n")}\n\n`;
}
