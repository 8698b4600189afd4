/**
 * Secret scanning with secretlint: what a CI check (or an attacker's crawler)
 * finds in a repository. The config is `packages/workshop/.secretlintrc.json`:
 * secretlint's recommended rules, which know the shapes of well-known keys,
 * plus a generic "API key assigned in code" pattern, because a third party's
 * key (here an Azure Functions key) has no shape a scanner can recognise.
 */
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { createEngine } from "@secretlint/node";
import { REPO_ROOT } from "../layout/repo.ts";
import type { StepFolder } from "../layout/stepFolders.ts";

export const SECRETLINT_CONFIG = join(REPO_ROOT, "packages", "workshop", ".secretlintrc.json");

/** Folders that hold installed or generated files, not the step's own. */
const NOT_SOURCE = new Set(["node_modules", "dist", ".test-results", ".turbo"]);

/** One secret found: where it is and which rule found it, with the value masked. */
export interface SecretFinding {
  /** Relative to the repository root when inside it. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  readonly ruleId: string;
  /** What was found, e.g. "API key assigned in code", with the secret masked. */
  readonly message: string;
  /** The first characters of the secret, enough to recognise it, never all of it. */
  readonly masked: string;
}

/** The part of secretlint's "json" formatter output this module reads. */
interface SecretlintResult {
  filePath: string;
  sourceContent?: string;
  messages: {
    ruleId: string;
    message: string;
    range: [number, number];
    loc: { start: { line: number; column: number } };
  }[];
}

/** Scans the given files (absolute paths). */
export async function scanFiles(files: readonly string[]): Promise<SecretFinding[]> {
  if (files.length === 0) return [];
  const engine = await createEngine({
    cwd: REPO_ROOT,
    configFilePath: SECRETLINT_CONFIG,
    formatter: "json",
    color: false,
    // Unmasked only in memory, so that each finding can be masked the same readable way.
    maskSecrets: false,
  });
  const { output } = await engine.executeOnFiles({ filePathList: [...files] });
  return (JSON.parse(output) as SecretlintResult[]).flatMap((result) =>
    result.messages.map((found) => {
      const secret = result.sourceContent?.slice(...found.range) ?? "";
      const masked = mask(secret);
      return {
        file: displayPath(result.filePath),
        line: found.loc.start.line,
        column: found.loc.start.column + 1,
        ruleId: found.ruleId,
        message: secret ? found.message.replaceAll(secret, masked) : found.message,
        masked,
      };
    }),
  );
}

/** Scans every file of the given steps, tests and package files included: a leak is a leak anywhere. */
export async function scanSteps(steps: readonly StepFolder[]): Promise<SecretFinding[]> {
  return scanFiles(steps.flatMap((step) => stepFiles(step.dir)));
}

function stepFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (NOT_SOURCE.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...stepFiles(path));
    else if (entry.isFile()) files.push(path);
  }
  return files.sort();
}

function mask(secret: string): string {
  return secret.length <= 8 ? "***" : `${secret.slice(0, 4)}…(${secret.length} characters)`;
}

function displayPath(file: string): string {
  const inRepo = relative(REPO_ROOT, file);
  return inRepo.startsWith("..") ? file : inRepo.replaceAll("\\", "/");
}
