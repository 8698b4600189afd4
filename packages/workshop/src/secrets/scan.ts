/**
 * Secret scanning with secretlint: what a CI check (or an attacker's crawler)
 * finds in a repository. The config is `packages/workshop/.secretlintrc.json`:
 * secretlint's recommended rules, which know the shapes of well-known keys,
 * plus a generic "API key assigned in code" pattern, because a third party's
 * key (here an Azure Functions key) has no shape a scanner can recognise.
 *
 * secretlint's core runs the rules the config names, imported here: its CLI's
 * engine would find them by name and load a config loader (with a JSON schema
 * validator) and its formatters first, which cost every `npm run check` a
 * third of a CPU-second before any file is read.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { lintSource } from "@secretlint/core";
import { creator as patternRule } from "@secretlint/secretlint-rule-pattern";
import { creator as recommendedRules } from "@secretlint/secretlint-rule-preset-recommend";
import { createRawSource } from "@secretlint/source-creator";
import type { SecretLintCoreConfig, SecretLintCoreResult } from "@secretlint/types";
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

type ConfiguredRule = SecretLintCoreConfig["rules"][number];

/** The rules the config may name, by the name secretlint knows them by. */
const RULES: Readonly<Record<string, ConfiguredRule["rule"]>> = {
  "@secretlint/secretlint-rule-preset-recommend": recommendedRules,
  "@secretlint/secretlint-rule-pattern": patternRule,
};

/** The config file's rules, each with the rule it names: what secretlint's config loader makes of it. */
function loadConfig(): SecretLintCoreConfig {
  const { rules } = JSON.parse(readFileSync(SECRETLINT_CONFIG, "utf8")) as {
    rules: { id: string; options?: Record<string, unknown> }[];
  };
  return {
    rules: rules.map(({ id, options }) => {
      const rule = RULES[id];
      if (!rule)
        throw new Error(
          `packages/workshop/.secretlintrc.json names the rule ${id}, which secrets/scan.ts does not load: add it there.`,
        );
      // A rule or a preset, each with its own options: secretlint checks them when it creates the rule.
      return { id, rule, ...(options ? { options } : {}) } as ConfiguredRule;
    }),
  };
}

/** Scans the given files (absolute paths). */
export async function scanFiles(files: readonly string[]): Promise<SecretFinding[]> {
  if (files.length === 0) return [];
  const config = loadConfig();
  const results: SecretLintCoreResult[] = [];
  for (const file of files) {
    // Unmasked only in memory, so that each finding can be masked the same readable way.
    results.push(await lintSource({ source: await createRawSource(file), options: { config, maskSecrets: false } }));
  }
  return results.flatMap((result) =>
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
