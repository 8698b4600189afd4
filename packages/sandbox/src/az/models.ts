/**
 * The attributes of the SDK models az prints, as Debian's Azure CLI 2.45
 * prints them (read from its output against the sandbox): az prints a model
 * whole, every attribute it declares, null when the service sent none, and
 * nothing the model does not declare. Nested models are left as the service
 * sent them.
 */

type Row = Record<string, unknown>;

/** A result as az prints an SDK model. */
export function asModel(attributes: readonly string[], values: Readonly<Row>): Row {
  return Object.fromEntries(attributes.map((name) => [name, values[name] ?? null]));
}

// biome-ignore format: a list of names, read as one
export const SITE_MODEL = [
  "appServicePlanId", "availabilityState", "clientAffinityEnabled", "clientCertEnabled", "clientCertExclusionPaths",
  "clientCertMode", "cloningInfo", "containerSize", "customDomainVerificationId", "dailyMemoryTimeQuota",
  "defaultHostName", "enabled", "enabledHostNames", "extendedLocation", "hostNameSslStates", "hostNames",
  "hostNamesDisabled", "hostingEnvironmentProfile", "httpsOnly", "hyperV", "id", "identity", "inProgressOperationId",
  "isDefaultContainer", "isXenon", "keyVaultReferenceIdentity", "kind", "lastModifiedTimeUtc", "location",
  "maxNumberOfWorkers", "name", "outboundIpAddresses", "possibleOutboundIpAddresses", "publicNetworkAccess",
  "redundancyMode", "repositorySiteName", "reserved", "scmSiteAlsoStopped", "siteConfig", "slotSwapStatus", "state",
  "storageAccountRequired", "suspendedTill", "tags", "targetSwapSlot", "trafficManagerHostNames", "type", "usageState",
  "virtualNetworkSubnetId", "vnetContentShareEnabled", "vnetImagePullEnabled", "vnetRouteAllEnabled",
];

// biome-ignore format: a list of names, read as one
export const ACCOUNT_MODEL = [
  "accessTier", "allowBlobPublicAccess", "allowCrossTenantReplication", "allowSharedKeyAccess", "allowedCopyScope",
  "azureFilesIdentityBasedAuthentication", "blobRestoreStatus", "creationTime", "customDomain",
  "defaultToOAuthAuthentication", "dnsEndpointType", "enableHttpsTrafficOnly", "enableNfsV3", "encryption",
  "extendedLocation", "failoverInProgress", "geoReplicationStats", "id", "identity", "immutableStorageWithVersioning",
  "isHnsEnabled", "isLocalUserEnabled", "isSftpEnabled", "keyCreationTime", "keyPolicy", "kind", "largeFileSharesState",
  "lastGeoFailoverTime", "location", "minimumTlsVersion", "name", "networkRuleSet", "primaryEndpoints",
  "primaryLocation", "privateEndpointConnections", "provisioningState", "publicNetworkAccess", "routingPreference",
  "sasPolicy", "secondaryEndpoints", "secondaryLocation", "sku", "statusOfPrimary", "statusOfSecondary",
  "storageAccountSkuConversionStatus", "tags", "type",
];

export const ENDPOINTS_MODEL = [
  "blob",
  "dfs",
  "file",
  "internetEndpoints",
  "microsoftEndpoints",
  "queue",
  "table",
  "web",
];

/** Resource Manager's Identity, as a generic resource carries it. */
export const IDENTITY_MODEL = ["principalId", "tenantId", "type", "userAssignedIdentities"];

/** Resource Manager's Sku, as a generic resource carries it. */
export const SKU_MODEL = ["capacity", "family", "model", "name", "size", "tier"];

/** ARM's ErrorResponse, as a failed deployment carries it: its details are errors too. */
export function errorModel(error: unknown): unknown {
  if (typeof error !== "object" || error === null) return error ?? null;
  const { details, ...rest } = error as Row;
  return {
    ...asModel(["additionalInfo", "code", "message", "target"], rest),
    details: Array.isArray(details) ? details.map(errorModel) : null,
  };
}
