/**
 * The small interfaces the sandbox's services share: who is calling (from a
 * validated token) and whether a role assignment lets them do something.
 */

/** The caller a valid token names. */
export interface Principal {
  /** `oid`: the object id role assignments are made to. */
  readonly objectId: string;
  /** `appid`: the client id, for apps and managed identities. */
  readonly appId?: string;
  /** `tid` */
  readonly tenantId: string;
  /** `uti`: the token's own id, for the audit log (never the token). */
  readonly tokenId?: string;
}

/** Why a token was refused, so each service can answer in its own words (Key Vault's AKV codes, Storage's). */
export type TokenProblem =
  | "missing"
  | "malformed"
  | "algorithm"
  | "signature"
  | "unknownKey"
  | "issuer"
  | "tenant"
  | "audience"
  | "expired"
  | "notYetValid"
  | "lifetime";

export type TokenCheck =
  | { readonly ok: true; readonly principal: Principal }
  | {
      readonly ok: false;
      /** A sentence for people: "The token expired.", "The token's audience is X, expected Y." */
      readonly reason: string;
      readonly problem: TokenProblem;
      /** The offending claim's value, when there is one (the audience or issuer found). */
      readonly found?: string;
    };

export interface TokenValidator {
  /**
   * Validates a bearer token from an `Authorization` header for one audience
   * (`https://vault.localhost`, `https://storage.azure.com`): signature against
   * the token service's JWKS, issuer and tenant, audience, exp and nbf.
   */
  validate(authorization: string | undefined, audience: string): Promise<TokenCheck>;
}

/**
 * Which of a role's lists an action is checked against: `dataActions` (a secret read, a message
 * sent) or `actions` (Resource Manager's control plane). Left out, the action's name decides.
 */
export type ActionKind = "data" | "control";

export interface Authorizer {
  /**
   * Azure RBAC: true when a role assignment at `scope` or above (a prefix of it)
   * grants `principal` a role whose data actions include `dataAction`.
   */
  isAllowed(principal: Principal, dataAction: string, scope: string, kind?: ActionKind): boolean;
  /** The same decision, with the assignment that made it (or one still propagating), for the audit log. */
  decide(principal: Principal, dataAction: string, scope: string, kind?: ActionKind): RbacDecision;
}

/** A role assignment: a principal holds a role at a scope (Microsoft.Authorization/roleAssignments). */
export interface RoleAssignment {
  /** Its name: a GUID (`guid(scope, principalId, roleDefinitionId)` in a template). */
  readonly id: string;
  readonly principalId: string;
  readonly principalType: "ServicePrincipal" | "User";
  readonly roleDefinitionName: string;
  readonly roleDefinitionId: string;
  readonly scope: string;
  readonly description?: string;
  readonly createdOn: string;
  /** When the assignment starts to count (Azure takes a while to propagate). */
  readonly effectiveFrom: number;
  /** When a deleted assignment stops counting. */
  readonly effectiveUntil?: number;
}

/**
 * A deny assignment (Microsoft.Authorization/denyAssignments): it blocks data actions at a scope for one
 * principal, whatever role grants them, as Azure's deny assignments do. The sandbox makes one only for a
 * moment, in memory: a grader refusing an app's requests on purpose, to see what the app answers then.
 */
export interface DenyAssignment {
  readonly id: string;
  readonly principalId: string;
  readonly scope: string;
  /** Why, in a sentence: the audit log and the live view show it. */
  readonly description: string;
  /** When it ends by itself (epoch ms), if no one removes it first. */
  readonly until: number;
}

/** What Azure RBAC decided, and which assignment made it so. */
export interface RbacDecision {
  readonly allowed: boolean;
  /** For a denial: the deny assignment that blocked it, whatever role grants it. */
  readonly denied?: DenyAssignment;
  /** The assignment that grants the action (it may be deleted and still in effect, until its deletion propagates). */
  readonly assignment?: RoleAssignment;
  /** For a denial: an assignment that grants the action once it takes effect. */
  readonly pending?: RoleAssignment;
}
