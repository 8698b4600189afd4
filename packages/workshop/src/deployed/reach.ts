/**
 * Before the contract suite runs against an app by its URL: does anything
 * answer there, over a connection Node trusts? Each way it can fail is said
 * in words, with what to do, never as a stack trace: no such host, nothing
 * listening, a certificate Node does not trust, no answer in time, or an
 * answer that is not the workshop's home page.
 */
import { UsageError } from "../terminal/usageError.ts";

/** How long the first answer may take: an App Service app that was just deployed starts on its first request. */
export const FIRST_ANSWER_TIMEOUT_MS = 60_000;

/** The certificate errors Node reports (OpenSSL's names, and Node's own for a name mismatch). */
const CERTIFICATE_ERRORS = new Set([
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** A URL a learner can pass: absolute, http or https, nothing after the app's root but a path. */
export function appUrl(text: string): URL {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:"))
    throw new UsageError(
      `--url takes the app's address, such as https://<app>.azurewebsites.net (it got ${JSON.stringify(text)}).`,
    );
  if (url.username || url.password || url.search || url.hash)
    throw new UsageError(`--url takes the app's address alone, with no user, query or fragment: ${url.origin}.`);
  return url;
}

/** Where the sandbox keeps its CA, from the repository's root. */
const SANDBOX_CA = ".sandbox/ca/ca.crt";

/** What to do about a certificate Node refused: nothing to set on Azure; the sandbox's CA for a sandbox address. */
function certificateAdvice(url: URL): string {
  if (url.hostname === "localhost" || url.hostname.endsWith(".localhost"))
    return `This is a sandbox address: Node trusts the sandbox's certificates as the steps do, through NODE_EXTRA_CA_CERTS. Run NODE_EXTRA_CA_CERTS=${SANDBOX_CA} npm run check -- --url ${url.href.replace(/\/$/, "")}`;
  return "An app on Azure (https://<app>.azurewebsites.net) has a certificate Node trusts as it is: there is nothing to set. If a proxy between you and Azure re-signs HTTPS (a company network), put its CA certificate in NODE_EXTRA_CA_CERTS.";
}

/** Why a request to the app failed, in words, with what to do. */
export function unreachable(url: URL, error: unknown): Error {
  const where = url.host;
  if (error instanceof DOMException && error.name === "TimeoutError")
    return new Error(
      `${where} did not answer within ${FIRST_ANSWER_TIMEOUT_MS / 1000} s. An App Service app that was just deployed starts on its first request and can take a minute: run the check again. If it keeps timing out, az webapp log tail -g <group> -n <app> shows what the app prints.`,
    );
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === "string" ? cause.code : "";
  const detail = typeof cause?.message === "string" ? cause.message : String(error);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME")
    return new Error(
      `Cannot reach ${url.hostname}: no such host (${code}). Check the address: an App Service app's is https://<app>.azurewebsites.net, which az webapp show -g <group> -n <app> --query defaultHostName -o tsv prints.`,
    );
  if (code === "ECONNREFUSED")
    return new Error(
      `Cannot reach ${where}: nothing listens there (connection refused). Check the address and its port, and that the app runs.`,
    );
  if (CERTIFICATE_ERRORS.has(code))
    return new Error(
      `The TLS handshake with ${url.hostname} failed: Node does not trust its certificate (${code}: ${detail}). ${certificateAdvice(url)}`,
    );
  if (code === "EPROTO" || code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS"))
    return new Error(
      `The TLS handshake with ${where} failed (${code}: ${detail.split("\n")[0]}). If the app serves plain HTTP there, use http:// in the URL.`,
    );
  // fetch refuses the ports browsers block (1, 22, 25, ...) before connecting: "bad port".
  if (detail === "bad port")
    return new Error(
      `Cannot reach ${where}: Node's fetch refuses port ${url.port}, as browsers do. Use the app's own port.`,
    );
  return new Error(
    `Cannot reach ${where}: ${code ? `${code}, ` : ""}${detail.split("\n")[0]}. Check the address, and that the app runs.`,
  );
}

/** The first words of an answer that is not the home page, as text (tags and spacing removed), to quote. */
function gist(body: string): string {
  const text = body
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/**
 * GET / answers 200 with the workshop's home page, or this throws what it answered instead and what to do.
 * The contract suite runs only after this: a down app is one message, not thirteen failed checks.
 */
export async function reachHomePage(url: URL, fetchTimeoutMs = FIRST_ANSWER_TIMEOUT_MS): Promise<void> {
  const home = new URL("/", url);
  const response = await fetch(home, { redirect: "manual", signal: AbortSignal.timeout(fetchTimeoutMs) }).catch(
    (error: unknown) => {
      throw unreachable(url, error);
    },
  );
  const body = await response.text().catch(() => "");
  const said = gist(body) ? ` It said: "${gist(body)}"` : "";
  if (response.status >= 300 && response.status < 400)
    throw new Error(
      `${home.href} redirects (${response.status}) to ${response.headers.get("location") ?? "nowhere"}: check that address instead.`,
    );
  if (response.status >= 500)
    throw new Error(
      `${home.href} answers ${response.status}: the app is not running there.${said} On Azure, az webapp log tail -g <group> -n <app> shows why it did not start; an app deployed a moment ago may need a minute more.`,
    );
  if (response.status !== 200)
    throw new Error(
      `${home.href} answers ${response.status}, where the workshop's app serves its home page.${said} Is this the address of the app you deployed?`,
    );
  if (!body.includes("/api/v1/getcode"))
    throw new Error(
      `${home.href} answers, but not with the workshop's home page (it names /api/v1/getcode).${said} If it is App Service's own page, the app has no code yet: deploy step 04 (the workflow's zip deploy), then check again.`,
    );
}
