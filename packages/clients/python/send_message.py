"""Send one message to a Storage queue, as the Azure SDK for Python's own samples do.

After the message samples of azure-storage-queue (samples/queue_samples_message.py:
QueueClient.from_queue_url, send_message), with the workshop's setting
STORAGE_QUEUE_URL and Microsoft Entra authentication (DefaultAzureCredential)
instead of an account key: the sandbox's Queue Storage, like an account with
key access disabled, refuses keys.

Prints one JSON line: the message's id and when it expires, or the error.
"""
import json
import os
import sys

from azure.identity import DefaultAzureCredential
from azure.storage.queue import QueueClient


def main() -> int:
    queue_url = os.environ["STORAGE_QUEUE_URL"]
    text = sys.argv[1] if len(sys.argv) > 1 else "hello from python"

    credential = DefaultAzureCredential()
    queue = QueueClient.from_queue_url(queue_url=queue_url, credential=credential)
    try:
        sent = queue.send_message(text)
    except Exception as error:
        code = getattr(error, "error_code", None)
        print(json.dumps({"ok": False, "error": type(error).__name__, "code": str(code) if code else None, "message": " ".join(str(error).split())}))
        return 1
    print(json.dumps({"ok": True, "id": sent.id, "content": sent.content, "expires_on": sent.expires_on.isoformat() if sent.expires_on else None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
