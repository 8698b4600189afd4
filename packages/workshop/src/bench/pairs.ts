/**
 * How the benchmark measures a pair fairly: a measured side beside its
 * baseline, in rounds of A B B A (baseline, measured, measured, baseline)
 * after a warm-up of both, so that a machine that speeds up or slows down
 * during the pair, or that is busy with something else now and then, favours
 * neither; the throughput ratio is the median of the rounds' ratios. And the
 * calls to the token service and Key Vault during the measured phases, which
 * must be none.
 */
import type { AuditEvent, Sandbox } from "@keyless/sandbox";
import { merge, type LoadResult } from "./load.ts";
import { median } from "./stats.ts";

export type Measured = ReturnType<typeof merge>;

/** Calls to the token service and to Key Vault, counted from the sandbox's audit log while counting is on. */
export interface Calls {
  readonly tokenService: number;
  readonly keyVault: number;
}

/** Counts token-service sign-ins and Key Vault requests from the audit log, while on. */
export class CallCounter {
  #on = false;
  tokenService = 0;
  keyVault = 0;
  constructor(sandbox: Sandbox) {
    sandbox.audit.subscribe((event: AuditEvent) => {
      if (!this.#on) return;
      if (
        event.category === "ServicePrincipalSignInLogs" ||
        event.category === "ManagedIdentitySignInLogs" ||
        event.category === "SignInLogs"
      )
        this.tokenService++;
      if (event.category === "AuditEvent") this.keyVault++;
    });
  }
  async during<T>(work: () => Promise<T>): Promise<T> {
    this.#on = true;
    try {
      return await work();
    } finally {
      this.#on = false;
    }
  }
  take(): Calls {
    const calls = { tokenService: this.tokenService, keyVault: this.keyVault };
    this.tokenService = 0;
    this.keyVault = 0;
    return calls;
  }
}

export type Side = "baseline" | "measured";

/** How many rounds of A B B A a pair is measured in. */
const ROUNDS = 8;

/**
 * The phases of a pair, [side, requests, round]: ROUNDS rounds of baseline, measured,
 * measured, baseline, each side's requests split evenly across its phases. Short,
 * interleaved phases give both sides the same share of whatever else the machine does
 * meanwhile.
 */
export function phases(requests: number): [Side, number, number][] {
  const pieces = 2 * ROUNDS;
  const size = (index: number) => Math.floor(requests / pieces) + (index < requests % pieces ? 1 : 0);
  const order: [Side, number, number][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [first, second] = [size(2 * round), size(2 * round + 1)];
    order.push(
      ["baseline", first, round],
      ["measured", first, round],
      ["measured", second, round],
      ["baseline", second, round],
    );
  }
  return order.filter(([, count]) => count > 0);
}

/** A pair's phases as they are measured, by side and round. */
export class Pair {
  readonly #phases: { side: Side; round: number; result: LoadResult }[] = [];
  add(side: Side, round: number, result: LoadResult): void {
    this.#phases.push({ side, round, result });
  }
  merged(side: Side): Measured {
    return merge(this.#phases.filter((phase) => phase.side === side).map((phase) => phase.result));
  }
  /**
   * measured / baseline throughput, round by round, and the median of those: a burst of
   * other work on the machine during one round moves that round's ratio, not the median.
   */
  throughputRatio(): number {
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const of = (side: Side) =>
        this.#phases.filter((phase) => phase.round === round && phase.side === side).map((phase) => phase.result);
      const [measured, baseline] = [of("measured"), of("baseline")];
      if (measured.length > 0 && baseline.length > 0)
        ratios.push(merge(measured).requestsPerSecond / merge(baseline).requestsPerSecond);
    }
    return median(ratios);
  }
}
