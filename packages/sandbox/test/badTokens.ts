/** The tokens every sandbox service must refuse with a 401, for any audience: one table, used by each service's tests. */
import { randomUUID } from "node:crypto";
import { SignJWT, generateKeyPair } from "jose";
import type { Sandbox } from "../src/index.ts";

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

async function signedByAnotherKey(sandbox: Sandbox, audience: string, objectId: string): Promise<string> {
  const { privateKey } = await generateKeyPair("RS256");
  return new SignJWT({ oid: objectId, tid: sandbox.seed.tenant.id })
    .setProtectedHeader({ alg: "RS256", kid: sandbox.tokens.jwks().keys[0]?.kid ?? "" })
    .setIssuer(sandbox.tokens.issuer)
    .setAudience(audience)
    .setIssuedAt(now())
    .setNotBefore(now())
    .setExpirationTime(now() + 600)
    .sign(privateKey);
}

/** [name, mint] pairs: each mints a token that looks plausible but must be refused for `audience`. */
export function badTokens(sandbox: Sandbox, audience: string, otherAudience: string, objectId: string): [string, () => Promise<string>][] {
  const { tokens, seed } = sandbox;
  return [
    ["alg none", async () => `${encode({ alg: "none", typ: "JWT" })}.${encode({ aud: audience, iss: tokens.issuer, oid: objectId, tid: seed.tenant.id, exp: now() + 600 })}.`],
    ["signed by another key", () => signedByAnotherKey(sandbox, audience, objectId)],
    ["another audience", () => tokens.issue({ audience: otherAudience, objectId })],
    ["expired", () => tokens.issue({ audience, objectId, lifetimeSeconds: -5 })],
    ["nbf in the future", () => tokens.issue({ audience, objectId, claims: { nbf: now() + 600 } })],
    ["another tenant", () => tokens.issue({ audience, objectId, claims: { iss: `https://sts.windows.net/${randomUUID()}/`, tid: randomUUID() } })],
    ["the right issuer but another tid", () => tokens.issue({ audience, objectId, claims: { tid: randomUUID() } })],
    ["malformed", async () => "not-a-jwt"],
  ];
}
