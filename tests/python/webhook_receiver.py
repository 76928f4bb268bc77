"""A webhook endpoint that checks every delivery with the reference Standard Webhooks
library (the `standardwebhooks` package, pinned in requirements.txt).

Usage: webhook_receiver.py PORT SECRET

Listens on 127.0.0.1:PORT. For each POST it verifies the `webhook-id`,
`webhook-timestamp` and `webhook-signature` headers against the body with SECRET
(`whsec_...`), answers 204 when the signature is valid (400 when it is not), and prints
one JSON line per delivery on stdout: {"id", "verified", "body"} (with "error" when it
was refused). Prints "listening" once it accepts connections.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


def main() -> None:
    port, secret = int(sys.argv[1]), sys.argv[2]
    webhook = Webhook(secret)
    printing = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            line = {"id": headers.get("webhook-id"), "body": body.decode("utf-8")}
            try:
                webhook.verify(body, headers)
                line["verified"] = True
                self.send_response(204)
            except WebhookVerificationError as refused:
                line["verified"] = False
                line["error"] = str(refused)
                self.send_response(400)
            self.end_headers()
            with printing:
                sys.stdout.write(json.dumps(line) + "\n")
                sys.stdout.flush()

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
