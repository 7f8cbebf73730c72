#!/usr/bin/python3
"""webhook_receiver.py: a webhook endpoint for tests: appends each POSTed JSON body as one line to a file.

Usage: webhook_receiver.py HOST:PORT FILE   (HOST must be a loopback address)
Answers 200 to every POST, 404 otherwise; stops on SIGTERM.
"""
import http.server
import json
import signal
import sys


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    if not (host.startswith("127.") or host == "localhost"):
        sys.exit("webhook_receiver: listen on loopback only, not %s" % host)
    out = sys.argv[2]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                line = json.dumps(json.loads(body), separators=(",", ":"))
            except ValueError:
                self.send_response(400)
                self.end_headers()
                return
            with open(out, "a", encoding="utf-8") as f:
                f.write(line + "\n")
            self.send_response(200)
            self.end_headers()

        def log_message(self, fmt, *args):
            pass

    server = http.server.HTTPServer((host, int(port)), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


if __name__ == "__main__":
    main()
