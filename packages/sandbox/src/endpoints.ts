/**
 * What the sandbox serves: the environment its apps get names these URLs, and
 * its `az` finds them in `.sandbox/endpoints.json`. A module of its own so that
 * those readers need not import the whole sandbox.
 */
/** What the sandbox serves, as `npm start` writes it to `.sandbox/endpoints.json`. */
export interface SandboxEndpoints {
  /** THIRD_PARTY_API_ENDPOINT */
  readonly thirdPartyApi: string;
  /** AZURE_AUTHORITY_HOST: Microsoft Entra ID. */
  readonly authorityHost: string;
  /** IDENTITY_ENDPOINT: App Service's managed identity endpoint. */
  readonly identityEndpoint: string;
  /** KEY_VAULT_URL */
  readonly keyVaultUrl: string;
  /** STORAGE_QUEUE_URL, when the queue service runs. */
  readonly queueUrl?: string;
  /** The CA certificate that signs every HTTPS service (NODE_EXTRA_CA_CERTS). */
  readonly caFile: string;
  /** The public and system CAs plus the sandbox CA, one file: REQUESTS_CA_BUNDLE and SSL_CERT_FILE (Python, the Azure CLI). */
  readonly caBundle: string;
  /** Azure Resource Manager: what the real Azure CLI's `az cloud register --endpoint-resource-manager` names. */
  readonly resourceManager: string;
  /** The `--import` preload that resolves `*.localhost`. */
  readonly dnsPreload: string;
  /** The admin API for the sandbox's `az` CLI. */
  readonly admin: { readonly url: string; readonly key: string };
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the OpenTelemetry collector's traces URL (OTLP/HTTP, JSON). */
  readonly telemetry: string;
  /** The other hosts' identity endpoints: Container Apps' IDENTITY_ENDPOINT, the VM's IMDS address, the AKS cluster's OIDC issuer. */
  readonly identityHosts: { readonly containerApps: string; readonly imds: string; readonly clusterIssuer: string };
  /** Microsoft Graph: the cloud's microsoftGraphResourceId (and where Graph answers). */
  readonly graph: string;
  /**
   * GitHub Actions' OIDC provider: its issuer (the sandbox's `https://token.actions.githubusercontent.com`, what a
   * federated credential's issuer names), and where the pipeline runner registers its jobs, with its key.
   */
  readonly github: { readonly issuer: string; readonly runner: { readonly url: string; readonly key: string } };
}
