/**
 * GitHub's OIDC provider, as a job on a GitHub-hosted runner meets it: the
 * issuer (its discovery document and keys) and the token request of each job
 * the runner registers. Entra ID trusts this issuer when a federated identity
 * credential names its URL (see entra/federation.ts).
 */
import { randomBytes } from "node:crypto";
import { closing, host } from "../../http/host.ts";
import type { ProviderContext, ProviderServer, RunningProvider } from "../../provider.ts";
import { gitHubErrors } from "./errors.ts";
import { GitHubOidcIssuer } from "./issuer.ts";
import { WorkflowJobs } from "./runs.ts";
import { createGitHubService } from "./service.ts";

export interface GitHubRunning extends RunningProvider {
  /** The issuer, its URL (`https://localhost:<port>`: the sandbox's token.actions.githubusercontent.com) and keys. */
  readonly issuer: GitHubOidcIssuer;
  /** Where the runner registers its jobs, with its key. */
  readonly runner: { readonly url: string; readonly key: string };
  readonly jobs: WorkflowJobs;
}

declare module "../../provider.ts" {
  interface RunningProviders {
    readonly github: GitHubRunning;
  }
}

export const server: ProviderServer = {
  async start(context: ProviderContext): Promise<GitHubRunning> {
    const issuer = new GitHubOidcIssuer();
    const jobs = new WorkflowJobs();
    const key = randomBytes(24).toString("base64url");
    const service = await host(createGitHubService({ issuer, jobs, runnerKey: key }), {
      name: "GitHub Actions' OIDC provider",
      errors: gitHubErrors,
      tls: { cert: context.certificates.certPem, key: context.certificates.keyPem },
      port: context.ports.github ?? 0,
    });
    issuer.listensAt(`https://localhost:${service.port}`);
    return { issuer, jobs, runner: { url: `${issuer.url}/_runner`, key }, stop: closing(service) };
  },
};
