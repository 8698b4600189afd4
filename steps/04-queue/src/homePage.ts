/** What the page at `/` says about the app: server.ts gives this step's own words. */
export interface AboutThisApp {
  /** e.g. "step 02: Key Vault". */
  readonly title: string;
  /** One sentence: where the key lives and how the app signs in. */
  readonly about: string;
}

/** The page at `/`: what the API does and which step of the workshop this is. */
export function homePage({ title, about }: AboutThisApp): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>keyless · ${title}</title>
</head>
<body>
  <h1>keyless · ${title}</h1>
  <p><code>GET <a href="/api/v1/getcode">/api/v1/getcode</a></code> answers a code such as
  <code>{"code": "AbC-123-xYz", "timestamp": "..."}</code>. The number in the middle comes from a
  third-party API that wants an access key.</p>
  <p>${about}</p>
</body>
</html>
`;
}
