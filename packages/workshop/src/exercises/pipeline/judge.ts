/**
 * The grader of a deployment exercise, without I/O: from what was collected
 * (facts.ts), one finding per thing the lesson teaches, each in words with
 * the exact fix. The order is the lesson's: no secret anywhere, a workflow
 * that may ask for its token, a credential that trusts the one branch, the
 * narrowest role that deploys, then what the rehearsal and the app did.
 */
import { parse } from "yaml";
import type { PipelineExercise } from "../exercises.ts";
import type { DeployFacts } from "./facts.ts";

export interface Finding {
  readonly ok: boolean;
  readonly text: string;
  readonly hint?: readonly string[];
}

const AUDIENCE = "api://AzureADTokenExchange";
const AZ = "npm run --silent az --";
/** Roles that can do far more than deploy code: they are named, whatever their scope. */
const BROAD_ROLES = ["Owner", "Contributor", "User Access Administrator", "Role Based Access Control Administrator"];

/** Lines of text that hold a secret a deploy does not need, with what it is. */
function secretLines(text: string): { line: number; what: string }[] {
  const found: { line: number; what: string }[] = [];
  text.split("\n").forEach((line, index) => {
    const code = line.replace(/^\s*#.*$/, "");
    const what = /\bclient-secret\s*:/.test(code)
      ? "azure/login's client-secret input"
      : /\bcreds\s*:/.test(code)
        ? "azure/login's creds input (a service principal's JSON, secret included)"
        : /publish-?profile|<publishData|PUBLISH_PROFILE/i.test(code)
          ? "a publish profile (the site's basic-auth password)"
          : /AZURE_CLIENT_SECRET|\bsecrets\.[A-Z_]+/.test(code)
            ? `a secret (${/AZURE_CLIENT_SECRET|secrets\.[A-Z_]+/.exec(code)?.[0]})`
            : undefined;
    if (what) found.push({ line: index + 1, what });
  });
  return found;
}

type Steps = { uses?: string; with?: Record<string, unknown> }[];
type Jobs = Record<string, { permissions?: unknown; steps?: Steps }>;

/** The jobs that sign in with azure/login, and whether each may ask GitHub for its token. */
function loginJobs(text: string): { id: string; idToken: boolean; inputs: Record<string, unknown> }[] {
  let workflow: { permissions?: unknown; jobs?: Jobs };
  try {
    workflow = (parse(text) ?? {}) as typeof workflow;
  } catch {
    return [];
  }
  const grants = (permissions: unknown) =>
    permissions === "write-all" ||
    (typeof permissions === "object" &&
      permissions !== null &&
      (permissions as Record<string, unknown>)["id-token"] === "write");
  return Object.entries(workflow.jobs ?? {}).flatMap(([id, job]) => {
    const login = (job.steps ?? []).find((step) => step.uses?.startsWith("azure/login@"));
    if (!login) return [];
    // A job's own permissions replace the workflow's; without its own, it has the workflow's.
    const idToken = job.permissions === undefined ? grants(workflow.permissions) : grants(job.permissions);
    return [{ id, idToken, inputs: login.with ?? {} }];
  });
}

export function judgeDeployment(exercise: PipelineExercise, facts: DeployFacts): Finding[] {
  const findings: Finding[] = [];
  const shown = facts.workflow?.shown ?? exercise.workflow.file;
  const appId = facts.deployer?.appId ?? "<appId>";

  // 1. No secret anywhere: the workflow, the folder's .env, the repository's variables, the app registration.
  const leaks = [
    ...secretLines(facts.workflow?.text ?? "").map((leak) => `${shown}:${leak.line} holds ${leak.what}`),
    ...secretLines(facts.dotenv ?? "").map((leak) => `.env:${leak.line} holds ${leak.what}`),
    ...Object.entries(facts.variables)
      .filter(([name, value]) => /SECRET|PASSWORD|PUBLISH|CREDS/i.test(name) || secretLines(value).length > 0)
      .map(([name]) => `the repository variable ${name} holds a secret`),
  ];
  if (facts.deployer && facts.deployer.secrets > 0)
    leaks.push(
      `the deployer (${exercise.deployer}) has ${facts.deployer.secrets === 1 ? "a client secret" : `${facts.deployer.secrets} client secrets`}, "just in case"`,
    );
  if (leaks.length > 0)
    findings.push({
      ok: false,
      text: `A secret is stored where the deploy does not need one: ${leaks.join("; ")}.`,
      hint: [
        "The federated credential is the deploy's only credential: a secret kept beside it is one more thing to leak and to rotate.",
        ...(facts.deployer && facts.deployer.secrets > 0
          ? [
              `Delete the app registration's secrets: ${AZ} ad app credential delete --id ${appId} --key-id <keyId> (${AZ} ad app credential list --id ${appId} lists them).`,
            ]
          : []),
        ...(leaks.some((leak) => !leak.startsWith("the deployer"))
          ? [
              "Delete the secret from the workflow, .env and variables: azure/login needs client-id, tenant-id and subscription-id only.",
            ]
          : []),
      ],
    });
  else
    findings.push({
      ok: true,
      text: `No secret and no publish profile anywhere: not in ${shown}, its folder or the repository's variables, and the deployer has no client secret.`,
    });

  // 2. The workflow may ask GitHub for its token, and gives azure/login the three ids.
  const jobs = loginJobs(facts.workflow?.text ?? "");
  if (!facts.workflow)
    findings.push({
      ok: false,
      text: `There is no ${shown}.`,
      hint: [
        `npm run exercise -- ${exercise.step} makes it: a copy of the workshop's deploy.yml with 🐨 where the pieces go.`,
      ],
    });
  else if (jobs.length === 0)
    findings.push({
      ok: false,
      text: `No job of ${shown} signs in with azure/login.`,
      hint: ["Keep the step - uses: azure/login@v2 before the steps that call az."],
    });
  for (const job of jobs) {
    const missing = ["client-id", "tenant-id", "subscription-id"].filter((input) => !job.inputs[input]);
    const audience = job.inputs["audience"];
    if (!job.idToken)
      findings.push({
        ok: false,
        text: `The job ${job.id} has no permissions: id-token: write, so GitHub gives it no token to sign in with (azure/login: "Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable").`,
        hint: [
          `Add to the job ${job.id}:`,
          "    permissions:",
          "      id-token: write # GitHub signs this job's token: the only credential the deploy has",
          "      contents: read",
        ],
      });
    else if (missing.length > 0)
      findings.push({
        ok: false,
        text: `azure/login in the job ${job.id} lacks ${missing.join(", ")}: without all three it does not sign in with the job's token.`,
        hint: [
          "Give it the ids, from the repository's variables (ids, not secrets):",
          ...["client-id", "tenant-id", "subscription-id"].map(
            (input) => `      ${input}: \${{ vars.AZURE_${input.replace("-id", "").toUpperCase()}_ID }}`,
          ),
        ],
      });
    else if (audience !== undefined && audience !== AUDIENCE)
      findings.push({
        ok: false,
        text: `azure/login in the job ${job.id} asks GitHub for a token for the audience ${String(audience)}: Entra ID takes ${AUDIENCE} only (AADSTS700212).`,
        hint: [`Delete the audience input: azure/login asks for ${AUDIENCE} by default.`],
      });
    else
      findings.push({
        ok: true,
        text: `The job ${job.id} may ask GitHub for its token (id-token: write), and azure/login gets client-id, tenant-id and subscription-id, no secret.`,
      });
  }

  // 3. The credential trusts exactly the branch that deploys.
  // The repository is the rehearsal's (its --repository, or git's origin); before one, any repository's push to the branch.
  const repository = facts.lastRun?.repository ?? "<owner>/<repo>";
  const wanted = `repo:${repository}:ref:refs/heads/${exercise.branch}`;
  const isWanted = (subject: string) =>
    facts.lastRun
      ? subject === wanted
      : /^repo:[^/:]+\/[^/:]+:ref:refs\/heads\//.test(subject) && subject.endsWith(`:refs/heads/${exercise.branch}`);
  const createHint = [
    `${AZ} ad app federated-credential create --id ${appId} --parameters '{"name": "github-${exercise.branch}", "issuer": "${facts.issuer}", "subject": "${wanted}", "audiences": ["${AUDIENCE}"]}'`,
  ];
  const exact = facts.credentials.filter((credential) => isWanted(credential.subject));
  const others = facts.credentials.filter((credential) => !isWanted(credential.subject));
  const otherWords = (subject: string) =>
    subject.endsWith(":pull_request")
      ? `${subject}: any pull request's run, from any branch, could deploy`
      : /[*?]/.test(subject)
        ? `${subject}: Entra ID compares subjects exactly, so a wildcard matches no run (a flexible credential is no way to trust "every branch" either)`
        : subject.includes(":environment:")
          ? `${subject}: a job in that environment, not a push to ${exercise.branch}`
          : /:ref:refs\/heads\//.test(subject)
            ? `${subject}: a push to ${subject.split("refs/heads/")[1]}, not to ${exercise.branch}`
            : `${subject}: not a subject GitHub states for ${repository}`;
  if (facts.credentials.length === 0)
    findings.push({
      ok: false,
      text: `The deployer (${exercise.deployer}) has no federated credential: Entra ID trusts no GitHub run to sign in as it.`,
      hint: ["Trust the pushes to your branch, exactly:", ...createHint],
    });
  else if (others.length > 0)
    findings.push({
      ok: false,
      text: `The deployer trusts ${others.length === 1 ? "a subject" : "subjects"} other than pushes to ${exercise.branch}: ${others.map((credential) => otherWords(credential.subject)).join("; ")}.`,
      hint: [
        `Trust ${wanted} only, and delete the other${others.length === 1 ? "" : "s"}:`,
        ...(exact.length === 0 ? createHint : []),
        ...others.map(
          (credential) =>
            `${AZ} ad app federated-credential delete --id ${appId} --federated-credential-id ${credential.name}`,
        ),
      ],
    });
  else {
    const wrong = exact.find(
      (credential) => credential.issuer !== facts.issuer || credential.audiences.join() !== AUDIENCE,
    );
    if (wrong)
      findings.push({
        ok: false,
        text:
          wrong.issuer !== facts.issuer
            ? `The credential ${wrong.name} names the issuer ${wrong.issuer}: GitHub's tokens come from ${facts.issuer} (AADSTS700211).`
            : `The credential ${wrong.name} takes the audience ${wrong.audiences.join(", ")}: GitHub's token for azure/login names ${AUDIENCE} (AADSTS700212).`,
        hint: [
          "Delete it and make it again with the issuer and audience GitHub's token states:",
          `${AZ} ad app federated-credential delete --id ${appId} --federated-credential-id ${wrong.name}`,
          ...createHint,
        ],
      });
    else
      findings.push({
        ok: true,
        text: `The deployer trusts one subject, exactly: ${exact[0]?.subject ?? wanted} (issuer ${facts.issuer}, audience ${AUDIENCE}).`,
      });
  }

  // 4. The narrowest role that deploys code, on the web app or its group.
  const narrowScopes = [facts.scopes.site.toLowerCase(), facts.scopes.resourceGroup.toLowerCase()];
  const tooWide = facts.roles.filter(
    (held) =>
      BROAD_ROLES.includes(held.role) ||
      !exercise.deployRoles.includes(held.role) ||
      !narrowScopes.includes(held.scope.toLowerCase()),
  );
  const deploys = facts.roles.filter(
    (held) => exercise.deployRoles.includes(held.role) && narrowScopes.includes(held.scope.toLowerCase()),
  );
  const grant = `${AZ} role assignment create --assignee ${appId} --role "${exercise.deployRoles[0]}" --scope ${facts.scopes.site}`;
  const scopeName = (scope: string) =>
    scope.toLowerCase() === facts.scopes.subscription.toLowerCase()
      ? "the subscription"
      : scope.toLowerCase() === facts.scopes.resourceGroup.toLowerCase()
        ? "the resource group"
        : scope.toLowerCase() === facts.scopes.site.toLowerCase()
          ? `the web app ${exercise.site}`
          : scope;
  const named = (held: readonly { role: string; scope: string }[]) =>
    held.map((one) => `${one.role} on ${scopeName(one.scope)}`).join(", ");
  if (tooWide.length > 0)
    findings.push({
      ok: false,
      text: `The deployer's role is wider than a code deploy needs: ${named(tooWide)}.`,
      hint: [
        `A zip deploy needs Microsoft.Web/sites/publish/Action on the one web app: ${exercise.deployRoles[0]} there. ${tooWide.some((held) => held.role === "Owner") ? "Owner can also grant anyone any role: a stolen run could give itself the subscription." : "Anything wider is what a stolen run could use."}`,
        ...(deploys.length === 0 ? [grant] : []),
        ...tooWide.map(
          (held) => `${AZ} role assignment delete --assignee ${appId} --role "${held.role}" --scope ${held.scope}`,
        ),
      ],
    });
  else if (deploys.length === 0)
    findings.push({
      ok: false,
      text: `The deployer (${exercise.deployer}) has no role that may deploy code to ${exercise.site}.`,
      hint: [grant],
    });
  else
    findings.push({
      ok: true,
      text: `The deployer's role is no wider than needed: ${named(deploys)}.`,
    });

  // 5. The rehearsal: the deployer signed in with the federated credential, and the run went green.
  const run = facts.lastRun;
  const ranMine = run?.ofThisWorkflow && facts.workflow;
  const after = (time: string) => !run || Date.parse(time) >= Date.parse(run.at) - 10 * 60 * 1000;
  const federated = facts.signIns.filter(
    (signIn) => signIn.credential === "federatedIdentityCredential" && after(signIn.time),
  );
  const refused = federated.filter((signIn) => !signIn.ok).at(-1);
  if (!run || !ranMine)
    findings.push({
      ok: false,
      text: `No rehearsal of ${shown} yet.`,
      hint: [`npm run pipeline -- ${shown} (npm start must be running)`],
    });
  else if (run.conclusion !== "success")
    findings.push({
      ok: false,
      text: `The last rehearsal of ${shown} ended in ${run.conclusion}${refused?.errorCode ? `: Entra ID refused the deployer's token with ${refused.errorCode}${refused.subject ? ` (subject ${refused.subject})` : ""}` : ""}.`,
      hint: [`Fix what the findings above name, then rehearse again: npm run pipeline -- ${shown}`],
    });
  else if (!federated.some((signIn) => signIn.ok))
    findings.push({
      ok: false,
      text: "The sandbox saw no sign-in of the deployer with its federated credential in the last rehearsal.",
      hint: [
        "Sign in with azure/login and the job's token (client-id, tenant-id, subscription-id), then rehearse again.",
      ],
    });
  else
    findings.push({
      ok: true,
      text: `The rehearsal went green: the deployer signed in with its federated credential (subject ${federated.filter((signIn) => signIn.ok).at(-1)?.subject ?? wanted}), zip-deployed and smoke-tested.`,
    });

  // 6. The deployed app answers, signed in as its own managed identity.
  if (facts.app?.status !== 200 || !facts.app.code)
    findings.push({
      ok: false,
      text: `The web app ${exercise.site} does not issue a code${facts.app ? ` (GET /api/v1/getcode answered ${facts.app.status})` : ""}.`,
      hint: ["Rehearse the deploy again; its zip deploy step's log says what App Service did with the package."],
    });
  else if (!facts.app.managedIdentitySignIn)
    findings.push({
      ok: false,
      text: `The web app ${exercise.site} issued ${facts.app.code}, but the sandbox saw no sign-in by its managed identity.`,
      hint: [
        "Deploy step 04's code unchanged: it signs in with DefaultAzureCredential, which App Service's identity serves.",
      ],
    });
  else
    findings.push({
      ok: true,
      text: `The deployed app answers getcode (${facts.app.code}), signed in with its managed identity.`,
    });
  return findings;
}
