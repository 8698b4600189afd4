/**
 * What the grader of a deployment exercise looks at: the learner's workflow
 * file, the places a secret hides (their folder's .env, the repository's
 * variables), the deployer as Entra ID and Azure RBAC hold it, the last
 * rehearsal, the sign-ins the sandbox logged, and the deployed app's answer.
 * Collected once (collect.ts), then judged without I/O (judge.ts), so that
 * each wrong attempt is a test of its own.
 */

/** A federated identity credential of the deployer's app registration. */
export interface CredentialFact {
  readonly name: string;
  readonly issuer: string;
  readonly subject: string;
  readonly audiences: readonly string[];
}

/** A sign-in of the deployer that Entra ID logged. */
export interface SignInFact {
  readonly time: string;
  readonly ok: boolean;
  /** clientSecret, federatedIdentityCredential, ... */
  readonly credential?: string;
  readonly errorCode?: string;
  readonly subject?: string;
}

export interface DeployFacts {
  /** The learner's workflow file, as shown (`workspace/05-ship-it/deploy.yml`), and its text; undefined when missing. */
  readonly workflow?: { readonly shown: string; readonly text: string };
  /** Their folder's .env, if they made one. */
  readonly dotenv?: string;
  /** The repository's variables (`npm run pipeline -- variable set`). */
  readonly variables: Readonly<Record<string, string>>;
  /** The deployer's app registration, when it exists; `secrets`: how many client secrets it has. */
  readonly deployer?: { readonly appId: string; readonly secrets: number };
  readonly credentials: readonly CredentialFact[];
  /** The deployer's role assignments: role name and scope. */
  readonly roles: readonly { readonly role: string; readonly scope: string }[];
  /** The scopes a deployer's role may name, and the GitHub issuer the sandbox plays. */
  readonly scopes: { readonly subscription: string; readonly resourceGroup: string; readonly site: string };
  readonly issuer: string;
  /** The last rehearsal (`npm run pipeline`), if one ran. */
  readonly lastRun?: {
    /** Whether it ran the learner's workflow file (not the workshop's, nor another). */
    readonly ofThisWorkflow: boolean;
    readonly repository: string;
    readonly conclusion: string;
    readonly at: string;
    readonly jobs: readonly { readonly id: string; readonly conclusion: string; readonly subject?: string }[];
  };
  /** The deployer's sign-ins, oldest first. */
  readonly signIns: readonly SignInFact[];
  /** The web app's answer to GET /api/v1/getcode, and whether its managed identity signed in for it. */
  readonly app?: { readonly status: number; readonly code?: string; readonly managedIdentitySignIn: boolean };
}
