import { HttpError } from "./errors.ts";

/** Where the app gets the third party's access key. */
export interface AccessKeySource {
  /** The key to present now. */
  current(): string;
  /**
   * Gets the key again after the third party rejected `rejected` (it was
   * rotated). A source that cannot change, like a constant, has no refresh.
   */
  refresh?(rejected: string): Promise<string>;
}

export interface ThirdPartyApiOptions {
  /** THIRD_PARTY_API_ENDPOINT: the function's URL. */
  readonly endpoint: string;
  readonly accessKey: AccessKeySource;
  /** How long to wait for an answer before giving up. */
  readonly timeoutMs: number;
}

/**
 * The client for the third-party API: an Azure Function with function-level
 * authorization, so the access key travels in the `x-functions-key` header.
 */
export class ThirdPartyApi {
  readonly #options: ThirdPartyApiOptions;

  constructor(options: ThirdPartyApiOptions) {
    this.#options = options;
  }

  /** Asks the third party for a number between 1 and 1000. */
  async getRandomNumber(): Promise<number> {
    const { accessKey } = this.#options;
    const key = accessKey.current();
    let response = await this.#call(key);
    if (response.status === 401 && accessKey.refresh) {
      // A 401 usually means the key was rotated: fetch the new one and try once more.
      response = await this.#call(await accessKey.refresh(key));
    }
    if (!response.ok) {
      throw new HttpError(502, {
        error: "Could not get you a code.",
        upstreamStatus: response.status,
        hint:
          response.status === 401
            ? "The third-party API rejected the access key. Check the key the app uses."
            : "The third-party API failed. Try again later.",
      });
    }
    return readValue(await response.json().catch(() => undefined));
  }

  async #call(key: string): Promise<Response> {
    const { endpoint, timeoutMs } = this.#options;
    try {
      return await fetch(endpoint, {
        headers: { "x-functions-key": key },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === "TimeoutError") {
        throw new HttpError(504, {
          error: `The third-party API did not answer within ${timeoutMs / 1000} s.`,
          hint: "Try again later.",
        });
      }
      throw new HttpError(502, {
        error: "Could not reach the third-party API.",
        hint: "Check THIRD_PARTY_API_ENDPOINT and that the third-party API is running.",
      });
    }
  }
}

function readValue(body: unknown): number {
  const value = (body as { value?: unknown } | undefined)?.value;
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 1000) return value;
  throw new HttpError(502, {
    error: "Could not get you a code.",
    upstreamStatus: 200,
    hint: "The third-party API answered without a number between 1 and 1000.",
  });
}
