/**
 * The gateway's one credential for Azurite: Shared Key, the account key
 * signing each request (an HMAC of its method, headers and resource), computed
 * by the Storage SDK's own signing policy so that it is exactly what Azure and
 * Azurite check. Callers never see the key: they show a Microsoft Entra token
 * to the gateway, which signs for them once their role allows the operation.
 */
import {
  StorageSharedKeyCredential,
  StorageSharedKeyCredentialPolicy,
  type RequestPolicy,
  type RequestPolicyOptions,
  type WebResource,
} from "@azure/storage-queue";

/** The headers a request is signed with: Authorization and the x-ms-date it covers. */
export interface SignedHeaders {
  readonly authorization: string;
  readonly "x-ms-date": string;
}

/** The part of a request the signature covers, as the SDK's signing policy reads it. */
class RequestToSign {
  readonly method: string;
  readonly url: string;
  readonly headers: {
    get(name: string): string | undefined;
    set(name: string, value: string | number): void;
    headersArray(): { name: string; value: string }[];
  };

  constructor(method: string, url: string, headers: Readonly<Record<string, string | string[] | undefined>>) {
    this.method = method;
    this.url = url;
    const values = new Map<string, string>();
    for (const [name, value] of Object.entries(headers))
      if (value !== undefined) values.set(name.toLowerCase(), Array.isArray(value) ? value.join(",") : value);
    this.headers = {
      get: (name) => values.get(name.toLowerCase()),
      set: (name, value) => void values.set(name.toLowerCase(), String(value)),
      headersArray: () => [...values].map(([name, value]) => ({ name, value })),
    };
  }
}

const unused: RequestPolicy = { sendRequest: () => Promise.reject(new Error("The signer only signs.")) };
const noLogging: RequestPolicyOptions = { log: () => {}, shouldLog: () => false };

/** The SDK's policy, used for its signature alone: it reads the request's method, url and headers, and adds x-ms-date and Authorization. */
class Signer extends StorageSharedKeyCredentialPolicy {
  sign(request: RequestToSign): void {
    this.signRequest(request as unknown as WebResource);
  }
}

export function sharedKeySigner(
  account: string,
  key: string,
): (method: string, url: string, headers: Readonly<Record<string, string | string[] | undefined>>) => SignedHeaders {
  const signer = new Signer(unused, noLogging, new StorageSharedKeyCredential(account, key));
  return (method, url, headers) => {
    const request = new RequestToSign(method, url, headers);
    signer.sign(request);
    return {
      authorization: request.headers.get("authorization") ?? "",
      "x-ms-date": request.headers.get("x-ms-date") ?? "",
    };
  };
}
