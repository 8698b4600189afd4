/** The page at `/`: what the API does and which step of the workshop this is. */
export const homePage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>keyless · step 01: keys in code</title>
</head>
<body>
  <h1>keyless · step 01: keys in code</h1>
  <p><code>GET <a href="/api/v1/getcode">/api/v1/getcode</a></code> answers a code such as
  <code>{"code": "AbC-123-xYz", "timestamp": "..."}</code>. The number in the middle comes from a
  third-party API that wants an access key.</p>
  <p>In this step the key is written in the source code: the anti-pattern the workshop removes.</p>
</body>
</html>
`;
