/** The JSON body of every error this API answers. */
export interface ErrorBody {
  /** What failed, in words a caller can act on. */
  readonly error: string;
  /** What to do about it. */
  readonly hint?: string;
  /** The status the third-party API answered, when it answered. */
  readonly upstreamStatus?: number;
}

/**
 * A failure the app answers on purpose, with its own status and body.
 * Anything else that goes wrong becomes a plain 500: callers never see a
 * stack trace or an internal message.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly body: ErrorBody;

  constructor(status: number, body: ErrorBody) {
    super(body.error);
    this.name = "HttpError";
    this.status = status;
    this.body = body;
  }
}
