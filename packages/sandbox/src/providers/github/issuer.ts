/**
 * GitHub Actions' OIDC provider, played by the sandbox: the issuer that signs
 * each job's token. On GitHub it is `https://token.actions.githubusercontent.com`;
 * here it is this service's own URL, so that its discovery document, its keys
 * and its tokens all agree, as OpenID Connect discovery requires.
 *
 * Its signing key is made at each start (GitHub rolls its keys too): a token
 * lives five minutes, so none outlives a restart.
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import { SignJWT, calculateJwkThumbprint, type JSONWebKeySet, type JWK } from "jose";
import { CLAIMS_SUPPORTED, claimsOf, type WorkflowRun } from "./claims.ts";

export class GitHubOidcIssuer {
  readonly #privateKey: KeyObject;
  readonly #publicJwk: JWK;
  #url = "";

  private constructor(privateKey: KeyObject, publicJwk: JWK) {
    this.#privateKey = privateKey;
    this.#publicJwk = publicJwk;
  }

  static async create(): Promise<GitHubOidcIssuer> {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = publicKey.export({ format: "jwk" }) as JWK;
    const kid = await calculateJwkThumbprint({ kty: "RSA", n: jwk.n ?? "", e: jwk.e ?? "" });
    return new GitHubOidcIssuer(privateKey, {
      kty: "RSA",
      alg: "RS256",
      use: "sig",
      kid,
      n: jwk.n ?? "",
      e: jwk.e ?? "",
    });
  }

  /** `https://localhost:<port>`: the `iss` of every token, once the service listens. */
  get url(): string {
    return this.#url;
  }

  listensAt(origin: string): void {
    this.#url = origin;
  }

  jwks(): JSONWebKeySet {
    return { keys: [this.#publicJwk] };
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
    return new SignJWT({ jti: randomUUID(), ...claims })
      .setProtectedHeader({ typ: "JWT", alg: "RS256", kid: this.#publicJwk.kid ?? "" })
      .sign(this.#privateKey);
  }
}
