/**
 * Which repository, branch and commit the rehearsal plays, read from the
 * working tree's git: the `owner/repo` of its `origin` on GitHub (what the
 * federated credential's subject must name), the current branch, HEAD.
 */
import { execFileSync } from "node:child_process";

const git = (workspace: string, ...args: string[]): string | undefined => {
  try {
    return execFileSync("git", args, { cwd: workspace, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
};

/** `owner/repo` from a GitHub remote URL (https or ssh), or undefined. */
export function repositoryOfRemote(url: string): string | undefined {
  const match = /github\.com[:/]([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(url.trim());
  return match ? `${match[1]}/${match[2]}` : undefined;
}

export function gitFacts(workspace: string): { repository?: string; branch?: string; sha?: string } {
  const remote = git(workspace, "remote", "get-url", "origin");
  const repository = remote ? repositoryOfRemote(remote) : undefined;
  const branch = git(workspace, "symbolic-ref", "--short", "-q", "HEAD");
  const sha = git(workspace, "rev-parse", "HEAD");
  return {
    ...(repository ? { repository } : {}),
    ...(branch ? { branch } : {}),
    ...(sha && /^[0-9a-f]{40}$/.test(sha) ? { sha } : {}),
  };
}
