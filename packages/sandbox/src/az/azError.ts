/**
 * An error `az` prints as `ERROR: (code) message`; a service's (`status` given) with its
 * `Code:` and `Message:` lines too, and exit code 3 for a 404, as az does.
 */
export class AzError extends Error {
  override name = "AzError";
  readonly code: string | undefined;
  readonly status: number | undefined;
  constructor(code: string | undefined, message: string, status?: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}
