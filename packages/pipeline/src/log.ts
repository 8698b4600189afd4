/**
 * The run's log, as GitHub's shows it: each line with every secret the run
 * knows masked as `***` (the federated token, the request token, the client
 * id azure/login masks, whatever a step masks with `::add-mask::`), and
 * errors and warnings prefixed as GitHub annotates them.
 */
export class RunLog {
  readonly #write: (line: string) => void;
  readonly #secrets = new Set<string>();
  readonly lines: string[] = [];

  constructor(write: (line: string) => void) {
    this.#write = write;
  }

  /** From now on, this value never appears in the log (`core.setSecret`, `::add-mask::`). */
  mask(secret: string): void {
    // One-character masks would shred every line; GitHub masks them too, but nothing here is that short.
    if (secret.length >= 2) this.#secrets.add(secret);
  }

  masked(text: string): string {
    let result = text;
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length))
      result = result.split(secret).join("***");
    return result;
  }

  line(text = ""): void {
    for (const line of text.split("\n")) {
      const shown = this.masked(line);
      this.lines.push(shown);
      this.#write(shown);
    }
  }

  error(text: string): void {
    this.line(`Error: ${text}`);
  }

  warning(text: string): void {
    this.line(`Warning: ${text}`);
  }

  notice(text: string): void {
    this.line(`Notice: ${text}`);
  }
}
