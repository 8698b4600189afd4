/** The tokens every sandbox service must refuse with a 401, for any audience: one table, used by each service's tests. */
import { randomUUID } from "node:crypto";
import { SignJWT, generateKeyPair } from "jose";
import type { Sandbox } from "../src/index.ts";

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

async function signedByAnotherKey(sandbox: Sandbox, audience: string, objectId: string): Promise<string> {
  const { privateKey } = await generateKeyPair("RS256");
  return new SignJWT({ oid: objectId, tid: sandbox.tenant.tenant.id })
    .setProtectedHeader({ alg: "RS256", kid: sandbox.tokens.jwks().keys[0]?.kid ?? "" })
    .setIssuer(sandbox.tokens.issuer)
    .setAudience(audience)
    .setIssuedAt(now())
    .setNotBefore(now())
    .setExpirationTime(now() + 600)
    .sign(privateKey);
}

/** [name, mint] pairs: each mints a token that looks plausible but must be refused for `audience`. */
export function badTokens(
  sandbox: Sandbox,
  audience: string,
  otherAudience: string,
  objectId: string,
): [string, () => Promise<string>][] {
  const { tokens, tenant } = sandbox;
  return [
    [
      "alg none",
      async () =>
        `${encode({ alg: "none", typ: "JWT" })}.${encode({ aud: audience, iss: tokens.issuer, oid: objectId, tid: tenant.tenant.id, exp: now() + 600 })}.`,
    ],
    ["signed by another key", () => signedByAnotherKey(sandbox, audience, objectId)],
    ["another audience", () => tokens.issue({ audience: otherAudience, objectId })],
    // Azure allows five minutes of clock skew: these are beyond it.
    [
      "expired",
      () => tokens.issue({ audience, objectId, claims: { iat: now() - 4000, nbf: now() - 4000, exp: now() - 400 } }),
    ],
    ["nbf in the future", () => tokens.issue({ audience, objectId, claims: { nbf: now() + 600 } })],
    ["iat in the future", () => tokens.issue({ audience, objectId, claims: { iat: now() + 600 } })],
    ["no exp", () => tokens.issue({ audience, objectId, claims: { exp: undefined } })],
    ["no iat", () => tokens.issue({ audience, objectId, claims: { iat: undefined } })],
    ["no nbf", () => tokens.issue({ audience, objectId, claims: { nbf: undefined } })],
    ["exp centuries ahead", () => tokens.issue({ audience, objectId, claims: { exp: now() + 300 * 365 * 86_400 } })],
    ["exp not a number", () => tokens.issue({ audience, objectId, claims: { exp: "soon" as unknown as number } })],
    [
      "another tenant",
      () =>
        tokens.issue({
          audience,
          objectId,
          claims: { iss: `https://sts.windows.net/${randomUUID()}/`, tid: randomUUID() },
        }),
    ],
    ["the right issuer but another tid", () => tokens.issue({ audience, objectId, claims: { tid: randomUUID() } })],
    ["malformed", async () => "not-a-jwt"],
  ];
}
