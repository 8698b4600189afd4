/** The page at `/`: what the API does and which step of the workshop this is. */
export const homePage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>keyless · step 02: Key Vault</title>
</head>
<body>
  <h1>keyless · step 02: Key Vault</h1>
  <p><code>GET <a href="/api/v1/getcode">/api/v1/getcode</a></code> answers a code such as
  <code>{"code": "AbC-123-xYz", "timestamp": "..."}</code>. The number in the middle comes from a
  third-party API that wants an access key.</p>
  <p>In this step the key is a secret in Azure Key Vault, read at start-up. The app signs in to
  Azure as a service principal, with a client secret in its environment.</p>
</body>
</html>
`;
