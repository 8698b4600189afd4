"""Read one Key Vault secret, as the Azure SDK for Python's own samples do.

After the "Retrieve a secret" sample of azure-keyvault-secrets (README and
samples/hello_world.py), with the workshop's settings: KEY_VAULT_URL and
THIRD_PARTY_API_SECRET_NAME, the names the app's settings use. The code is
Azure's; only the environment says it runs against the keyless sandbox:
DefaultAzureCredential signs in as whatever the environment names (a service
principal's AZURE_* variables, or App Service's IDENTITY_ENDPOINT), and
REQUESTS_CA_BUNDLE makes the sandbox's CA trusted.

Prints one JSON line: the secret's name, value and version, or the error.
"""
import json
import os
import sys

from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient


def main() -> int:
    vault_url = os.environ["KEY_VAULT_URL"]
    secret_name = os.environ.get("THIRD_PARTY_API_SECRET_NAME", "third-party-api-key")

    credential = DefaultAzureCredential()
    client = SecretClient(vault_url=vault_url, credential=credential)
    try:
        secret = client.get_secret(secret_name)
    except Exception as error:  # the sample's error handling, as one line a test can read
        print(json.dumps({"ok": False, "error": type(error).__name__, "message": " ".join(str(error).split())}))
        return 1
    print(json.dumps({"ok": True, "name": secret.name, "value": secret.value, "version": secret.properties.version}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
