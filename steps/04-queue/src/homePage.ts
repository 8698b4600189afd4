/** The page at `/`: what the API does and which step of the workshop this is. */
export const homePage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>keyless · step 04: queue</title>
</head>
<body>
  <h1>keyless · step 04: queue</h1>
  <p><code>GET <a href="/api/v1/getcode">/api/v1/getcode</a></code> answers a code such as
  <code>{"code": "AbC-123-xYz", "timestamp": "..."}</code>. The number in the middle comes from a
  third-party API that wants an access key.</p>
  <p>In this step the key is a secret in Azure Key Vault, read at start-up. The app signs in to
  Azure with its managed identity: there is no secret anywhere in its code or settings.</p>
  <p>Every code is also sent to an Azure Storage queue for a back-end, before you get it,
  with the same managed identity.</p>
</body>
</html>
`;
