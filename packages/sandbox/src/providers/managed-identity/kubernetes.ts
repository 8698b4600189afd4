/**
 * The sandbox's AKS cluster, as far as workload identity goes: its OIDC issuer
 * (the discovery document and signing keys that `az aks show --query
 * oidcIssuerProfile.issuerUrl` points at) and the service-account tokens the
 * kubelet projects into each pod.
 *
 * On AKS, the workload identity webhook gives a pod whose service account is
 * annotated with a client id four variables: AZURE_CLIENT_ID, AZURE_TENANT_ID,
 * AZURE_AUTHORITY_HOST and AZURE_FEDERATED_TOKEN_FILE, the path of a token the
 * cluster signed for `system:serviceaccount:<namespace>:<name>` with the
 * audience `api://AzureADTokenExchange`. The app sends that token to Entra ID
 * as a client assertion; Entra ID accepts it when a federated identity
 * credential of the identity matches its issuer, subject and audience.
 * `WorkloadIdentityCredential` (first in DefaultAzureCredential's server chain
 * after the environment) does all of it. The kubelet renews the file before
 * the token expires; the SDK reads it again every few minutes.
 */
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import express, { type Express } from "express";
import type { JSONWebKeySet, JWK } from "jose";
import type { ServiceErrors } from "../../http/host.ts";

/** The audience Entra ID expects in a federated token, and that the webhook projects. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
/** How long a projected token lives (the webhook's default, service-account-token-expiration 3600). */
const TOKEN_LIFETIME_SECONDS = 3600;
/** The kubelet renews a projected token at 80% of its lifetime. */
const RENEW_AFTER_MS = TOKEN_LIFETIME_SECONDS * 800;

/** The issuer's answers for what it does not serve: Go's net/http, plain text. */
export const clusterIssuerErrors: ServiceErrors = {
  notFound: () => ({ status: 404, body: "404 page not found\n" }),
  badRequest: () => ({ status: 400, body: "400 Bad Request" }),
  internal: () => ({ status: 500, body: "Internal Server Error\n" }),
};

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

export interface ServiceAccountTokenOptions {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly audience?: string | readonly string[];
  readonly lifetimeSeconds?: number;
  /** Claims to add or override: tests make tokens Entra ID would refuse. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

export class KubernetesCluster {
  readonly name: string;
  readonly namespace: string;
  readonly #privateKey: KeyObject;
  readonly #publicJwk: JWK;
  readonly #path: string;
  #issuerUrl = "";

  constructor(options: {
    readonly name: string;
    readonly tenantId: string;
    readonly oidcIssuerId: string;
    readonly namespace: string;
  }) {
    this.name = options.name;
    this.namespace = options.namespace;
    // A new signing key each start, as after the cluster rotates its service-account keys.
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    this.#privateKey = privateKey;
    const jwk = publicKey.export({ format: "jwk" }) as JWK;
    // Kubernetes names its key by a hash of the public key.
    const kid = createHash("sha256")
      .update(publicKey.export({ format: "der", type: "spki" }))
      .digest("base64url");
    this.#publicJwk = { use: "sig", kty: "RSA", kid, alg: "RS256", n: jwk.n ?? "", e: jwk.e ?? "" };
    this.#path = `/${options.tenantId}/${options.oidcIssuerId}/`;
  }

  /** `https://localhost:<port>/<tenant>/<id>/`, AKS's form (with its trailing slash), once the issuer listens. */
  get issuerUrl(): string {
    return this.#issuerUrl;
  }

  listensAt(origin: string): void {
    this.#issuerUrl = `${origin}${this.#path}`;
  }

  /** The public signing keys, as the issuer publishes them. */
  jwks(): JSONWebKeySet {
    return { keys: [this.#publicJwk] };
  }

  /** A service-account token, as the kubelet projects it (RS256, signed by the cluster). */
  serviceAccountToken({
    namespace,
    serviceAccount,
    audience = [TOKEN_EXCHANGE_AUDIENCE],
    lifetimeSeconds = TOKEN_LIFETIME_SECONDS,
    claims = {},
  }: ServiceAccountTokenOptions): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: "RS256", kid: this.#publicJwk.kid };
    const payload = {
      aud: audience,
      exp: now + lifetimeSeconds,
      iat: now,
      nbf: now,
      iss: this.#issuerUrl,
      sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
      "kubernetes.io": {
        namespace,
        pod: { name: `${serviceAccount}-0`, uid: randomUUID() },
        serviceaccount: { name: serviceAccount, uid: randomUUID() },
      },
      ...claims,
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
    return `${signingInput}.${base64url(sign("sha256", Buffer.from(signingInput), this.#privateKey))}`;
  }

  /** The issuer's HTTP surface: the OpenID discovery document and the JWKS. */
  issuerApp(): Express {
    const app = express();
    app.disable("x-powered-by");
    app.get(`${this.#path}.well-known/openid-configuration`, (_req, res) => {
      res.json({
        issuer: this.#issuerUrl,
        jwks_uri: `${this.#issuerUrl}openid/v1/jwks`,
        response_types_supported: ["id_token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
      });
    });
    app.get(`${this.#path}openid/v1/jwks`, (_req, res) => {
      res.json(this.jwks());
    });
    return app;
  }
}

/**
 * The projected token files of the pods that run the steps' apps: one per app,
 * `<stateDir>/aks/<app>/azure-identity-token` (on AKS,
 * /var/run/secrets/azure/tokens/azure-identity-token), renewed as the kubelet does.
 */
export class ProjectedTokens {
  readonly #cluster: KubernetesCluster;
  readonly #dir: string;
  readonly #apps = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(cluster: KubernetesCluster, stateDir: string) {
    this.#cluster = cluster;
    this.#dir = join(stateDir, "aks");
  }

  /** The app's token file, written now and renewed while the sandbox runs. The service account is named after the app. */
  fileFor(app: string): string {
    const file = join(this.#dir, app, "azure-identity-token");
    if (!this.#apps.has(app)) {
      this.#apps.add(app);
      this.#write(app, file);
      this.#timer ??= setInterval(() => this.renew(), RENEW_AFTER_MS).unref();
    }
    return file;
  }

  /** Writes every app's token anew. */
  renew(): void {
    for (const app of this.#apps) this.#write(app, join(this.#dir, app, "azure-identity-token"));
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #write(app: string, file: string): void {
    mkdirSync(join(this.#dir, app), { recursive: true, mode: 0o700 });
    writeFileSync(
      file,
      this.#cluster.serviceAccountToken({ namespace: this.#cluster.namespace, serviceAccount: app }),
      { mode: 0o600 },
    );
  }
}
