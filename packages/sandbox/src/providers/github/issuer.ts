/**
 * GitHub Actions' OIDC provider, played by the sandbox: the issuer that signs
 * each job's token. On GitHub it is `https://token.actions.githubusercontent.com`;
 * here it is this service's own URL, so that its discovery document, its keys
 * and its tokens all agree, as OpenID Connect discovery requires.
 *
 * Its signing key is new at each start (GitHub rolls its keys too): a token
 * lives five minutes, so none outlives a restart. It is made when first
 * needed: a sandbox whose lessons never deploy pays nothing for it at start.
 */
import { createHash, generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import { SignJWT, type JSONWebKeySet, type JWK } from "jose";
import { CLAIMS_SUPPORTED, claimsOf, type WorkflowRun } from "./claims.ts";

interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicJwk: JWK;
}

/** A new RSA key, named (`kid`) by a hash of its public part. */
function newSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = publicKey.export({ format: "jwk" }) as JWK;
  const kid = createHash("sha256")
    .update(publicKey.export({ format: "der", type: "spki" }))
    .digest("hex")
    .slice(0, 40)
    .toUpperCase();
  return { privateKey, publicJwk: { kty: "RSA", alg: "RS256", use: "sig", kid, n: jwk.n ?? "", e: jwk.e ?? "" } };
}

export class GitHubOidcIssuer {
  #key: SigningKey | undefined;
  #url = "";

  get #signingKey(): SigningKey {
    this.#key ??= newSigningKey();
    return this.#key;
  }

  /** `https://localhost:<port>`: the `iss` of every token, once the service listens. */
  get url(): string {
    return this.#url;
  }

  listensAt(origin: string): void {
    this.#url = origin;
  }

  jwks(): JSONWebKeySet {
    return { keys: [this.#signingKey.publicJwk] };
  }

  /** The discovery document, in the shape of GitHub's. */
  discovery() {
    return {
      issuer: this.#url,
      jwks_uri: `${this.#url}/.well-known/jwks`,
      subject_types_supported: ["public", "pairwise"],
      response_types_supported: ["id_token"],
      claims_supported: CLAIMS_SUPPORTED,
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: ["openid"],
    };
  }

  /** A job's token for an audience: what the job's token request answers. */
  async tokenFor(run: WorkflowRun, audience: string): Promise<string> {
    const claims = claimsOf(run, { issuer: this.#url, audience, now: Math.floor(Date.now() / 1000) });
    const { privateKey, publicJwk } = this.#signingKey;
    return new SignJWT({ jti: randomUUID(), ...claims })
      .setProtectedHeader({ typ: "JWT", alg: "RS256", kid: publicJwk.kid ?? "" })
      .sign(privateKey);
  }
}
