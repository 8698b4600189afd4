/**
 * The management resource: what `az` asks tokens for (the cloud's
 * activeDirectoryResourceId), as `https://management.core.windows.net/` on Azure.
 */
export const MANAGEMENT_RESOURCE = "https://management.localhost";
/** The audiences Resource Manager accepts: the resource with and without its trailing slash, as ARM does. */
export const MANAGEMENT_AUDIENCES: readonly string[] = [MANAGEMENT_RESOURCE, `${MANAGEMENT_RESOURCE}/`];
