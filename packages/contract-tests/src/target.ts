import type { ThirdPartyFault } from "@keyless/third-party-api";

/** How the suite drives the third party: in the same process, or a running sandbox's over HTTP. */
export interface ThirdPartyControl {
  keys(): readonly string[] | Promise<readonly string[]>;
  setKeys(keys: readonly string[]): void | Promise<void>;
  setFault(fault: ThirdPartyFault | null): void | Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** What the checks any deployment answers need: its URL alone (an app on Azure, or anywhere). */
export interface DeployedApp {
  /** The app's base URL, e.g. https://<app>.azurewebsites.net. */
  readonly baseUrl: string;
  /** Told each code the suite was issued: a checkpoint removes their queue messages afterwards. */
  onCode?(code: string): void;
}

/** What the whole suite needs from a running step and the world around it. */
export interface ContractTarget extends DeployedApp {
  /** The third party the step calls, so the suite can make it fail. */
  readonly thirdParty: ThirdPartyControl;
  /** The step's THIRD_PARTY_API_TIMEOUT_MS. */
  readonly timeoutMs: number;
  /** Values that must never appear in a response or a log line. */
  readonly secrets: readonly string[];
  /** What the step has logged so far. */
  logs(): string | Promise<string>;
  stop(): Promise<void>;
}

/**
 * What the suite runs against: a step and the sandbox's world around it (every check), or an app by its URL
 * alone (the checks that need the world are listed, skipped).
 */
export type ContractStart =
  | { readonly world: () => Promise<ContractTarget> }
  | { readonly app: () => Promise<DeployedApp> };
