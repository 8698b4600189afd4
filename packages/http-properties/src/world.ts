/**
 * Everything the properties run against, started once per test file: a
 * sandbox in a temporary state folder (in this process, as `npm start` runs
 * it), optionally the launcher's control server, and what the checks need to
 * know about them: the secrets no answer may carry, the processes that must
 * stay alive, and the state a refused request must not change.
 */
import { readFileSync, readdirSync, readlinkSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { SignJWT, generateKeyPair } from "jose";
import {
  startSandbox,
  THIRD_PARTY_APP,
  THIRD_PARTY_FUNCTION,
  type Sandbox,
  type SandboxOptions,
} from "@keyless/sandbox";
// The vault's URL is https://keyless-kv.vault.localhost:<port>, as in the steps.
import "@keyless/sandbox/dns-preload";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Errors nobody caught, in this process (where the sandbox runs): each one is a process a real run would have lost. */
const crashes: string[] = [];
/** An error and where it was thrown, for the report (this is the test's own output, not an answer). */
const where = (error: unknown) =>
  error instanceof Error ? [error.message, ...(error.stack ?? "").split("\n").slice(1, 6)].join("\n") : String(error);
process.on("uncaughtExceptionMonitor", (error) => crashes.push(`uncaught exception: ${where(error)}`));
process.on("unhandledRejection", (reason) => crashes.push(`unhandled rejection: ${where(reason)}`));
/**
 * What the sandbox reports when one of its services threw on a request (it answers 500, in the service's shape, and
 * writes one line): an input that makes a service fail is a defect even when the answer is clean.
 */
const printError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  const line = args.map(String).join(" ");
  if (/^sandbox: .*(failed|refused)/.test(line)) crashes.push(`a service failed: ${line}`);
  printError(...args);
};

export interface World {
  readonly sandbox: Sandbox;
  readonly stateDir: string;
  /** Every secret of this run: no answer may carry one the request did not. */
  secrets(): string[];
  /** Paths of this machine no answer may name. */
  readonly paths: readonly string[];
  /** Problems with the processes: this one's uncaught errors, Queue Storage no longer serving, a step gone. */
  processProblems(): string[];
  /** Processes to watch (the steps), by name. */
  watch(name: string, pid: number): void;
  /**
   * The sandbox's state: vault (every version, deleted secrets), role assignments, third-party keys and fault, and
   * every row of its state store.
   */
  state(): Promise<Record<string, unknown>>;
  /**
   * The same, with Queue Storage (queues, metadata, counts, messages, ACLs, service properties), whether the third
   * party listens, and (with `functionKeys`, for the surfaces that can rename them) the function keys' names.
   */
  fullState(options?: { functionKeys?: boolean }): Promise<Record<string, unknown>>;
  /** Extra state to include (the launcher stub's calls). */
  addState(name: string, read: () => unknown): void;
  /** One more secret no answer may carry (a token a surface was given when it was set up). */
  addSecret(secret: string): void;
  stop(): Promise<void>;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The processes this process started in `dir` (the steps: startStep gives each KEYLESS_STEP_PARENT). Linux only; elsewhere, none. */
export function childrenIn(dir: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    try {
      const environment = readFileSync(`/proc/${entry}/environ`, "latin1").split("\0");
      if (!environment.includes(`KEYLESS_STEP_PARENT=${process.pid}`)) continue;
      if (readlinkSync(`/proc/${entry}/cwd`).replace(/\/$/, "") === dir.replace(/\/$/, "")) found.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });

export async function startWorld(options: SandboxOptions = {}): Promise<World> {
  const stateDir = mkdtempSync(join(tmpdir(), "keyless-http-properties-"));
  const sandbox = await startSandbox({ stateDir, ...options });
  // In this process only: what NODE_EXTRA_CA_CERTS does for a step.
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), sandbox.certificates.caPem]);
  const queueOn = options.queue !== false;
  const watched = new Map<string, number>();
  const extra = new Map<string, () => unknown>();
  const fixedSecrets = [
    ...sandbox.tenant.thirdParty.keys,
    ...sandbox.directory.servicePrincipals.map((principal) => principal.secret),
    ...[...sandbox.directory.apps.values()].map((app) => app.identityHeader),
    sandbox.endpoints.admin.key,
    sandbox.endpoints.github.runner.key,
    ...sandbox.tenant.users.flatMap((user) => (user.password ? [user.password] : [])),
    // The IDENTITY_HEADER Container Apps gives each app that can run there.
    ...sandbox.sites().flatMap((site) => {
      try {
        return [sandbox.siteEnvironment(site.name, "container-apps")["IDENTITY_HEADER"] ?? ""];
      } catch {
        return [];
      }
    }),
  ].filter((secret) => secret.length > 0);
  const extraSecrets: string[] = [];
  const thirdPartyPort = Number(new URL(sandbox.endpoints.thirdPartyApi).port);

  const state = async (): Promise<Record<string, unknown>> =>
    structuredClone({
      vault: { secrets: sandbox.secrets.list(), deleted: sandbox.secrets.listDeleted() },
      roleAssignments: sandbox.rbac.list(),
      thirdParty: { keys: sandbox.thirdParty.keys(), fault: sandbox.thirdParty.fault() },
      // Every row the state store holds (resources, deployments, identities, site deployments, the journal):
      // whatever table a surface could touch, not only those read above.
      store: sandbox.stateSnapshot(),
      ...Object.fromEntries([...extra].map(([name, read]) => [name, read()])),
    });

  /**
   * Queue Storage as its store holds it (queues, metadata, ACLs, every message with its dequeue count, pop receipt and
   * visibility, the service properties), read directly: not through the gateway, whose roles a request may have changed.
   */
  const queueState = async (): Promise<unknown> => (queueOn ? structuredClone(sandbox.queue.snapshot()) : undefined);

  // The function's keys as Resource Manager lists them (`listkeys`), read in this process as the sandbox itself.
  const functionId = `${sandbox.scopes.resourceGroup}/providers/Microsoft.Web/sites/${THIRD_PARTY_APP}/functions/${THIRD_PARTY_FUNCTION}`;
  const functionKeyNames = async () =>
    Object.keys(
      (sandbox.arm.invoke(functionId, "listkeys", undefined) as { properties: Record<string, string> }).properties,
    ).sort();

  return {
    sandbox,
    stateDir,
    secrets: () => [
      ...new Set([
        ...fixedSecrets,
        ...sandbox.thirdParty.keys().filter((key) => typeof key === "string" && key.length >= 16),
        ...extraSecrets,
      ]),
    ],
    paths: [stateDir, REPO_ROOT, process.cwd(), homedir()].filter((path) => path.length > 1),
    processProblems() {
      const problems = crashes.splice(0);
      if (queueOn && sandbox.queue.state !== "running") problems.push(`Queue Storage is ${sandbox.queue.state}`);
      for (const [name, pid] of watched) if (!alive(pid)) problems.push(`${name} (pid ${pid}) is gone`);
      return problems;
    },
    watch: (name, pid) => void watched.set(name, pid),
    state,
    async fullState(options = {}) {
      const [base, queue, names, up] = await Promise.all([
        state(),
        queueState(),
        options.functionKeys ? functionKeyNames() : undefined,
        listening(thirdPartyPort),
      ]);
      return { ...base, queue, ...(names ? { functionKeyNames: names } : {}), thirdPartyListening: up };
    },
    addState: (name, read) => void extra.set(name, read),
    addSecret: (secret) => void extraSecrets.push(secret),
    async stop() {
      await sandbox.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

/** Tokens that look right but must be refused for `audience`: unsigned, signed by another key, for another audience or tenant, expired, not yet valid. */
export async function forgedTokens(
  sandbox: Sandbox,
  audience: string,
  otherAudience: string,
  objectId: string,
): Promise<string[]> {
  const { tokens, tenant } = sandbox;
  const { privateKey } = await generateKeyPair("RS256");
  const otherKey = await new SignJWT({ oid: objectId, tid: tenant.tenant.id })
    .setProtectedHeader({ alg: "RS256", kid: tokens.jwks().keys[0]?.kid ?? "" })
    .setIssuer(tokens.issuer)
    .setAudience(audience)
    .setIssuedAt(now())
    .setNotBefore(now())
    .setExpirationTime(now() + 600)
    .sign(privateKey);
  return [
    `${encode({ alg: "none", typ: "JWT" })}.${encode({ aud: audience, iss: tokens.issuer, oid: objectId, tid: tenant.tenant.id, exp: now() + 600 })}.`,
    `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ aud: audience, iss: tokens.issuer, oid: objectId, tid: tenant.tenant.id, exp: now() + 600 })}.c2ln`,
    otherKey,
    await tokens.issue({ audience: otherAudience, objectId }),
    await tokens.issue({ audience, objectId, claims: { iat: now() - 4000, nbf: now() - 4000, exp: now() - 400 } }),
    await tokens.issue({ audience, objectId, claims: { nbf: now() + 600 } }),
    await tokens.issue({ audience, objectId, claims: { exp: "soon" as unknown as number } }),
    await tokens.issue({ audience, objectId, claims: { tid: "00000000-0000-0000-0000-000000000000" } }),
    await tokens.issue({ audience, objectId: "00000000-0000-0000-0000-000000000000" }),
    await tokens.issue({ audience, objectId, claims: { oid: { $ne: null } as unknown as string } }),
    "not-a-jwt",
  ];
}
