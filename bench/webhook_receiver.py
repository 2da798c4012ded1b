#!/usr/bin/python3
"""A webhook receiver for bench/outbox: HTTP/1.1 with keep-alive on 127.0.0.1, answering every
POST with 204 No Content, as fast as Python's standard library allows. It reads each request
whole, counts requests and distinct webhook-id headers, and checks nothing else (the tests check
signatures; this only times delivery).

Options:
  --port N          0 (the default) lets the kernel choose; the port is written to --port-file
                    (atomically) once the server listens, which is how a caller knows it is up.
  --port-file FILE
  --count-file FILE on SIGTERM or SIGINT, "REQUESTS DISTINCT_IDS" is written there before exiting.
"""

import argparse
import http.server
import os
import signal
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: cohortwatch reuses its connection

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        if length > 0:
            self.rfile.read(length)
        server = self.server
        with server.lock:
            server.requests += 1
            server.ids.add(self.headers.get("webhook-id", ""))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format, *args):  # no line per request on stderr
        pass


def write_atomically(path, text):
    temp = f"{path}.tmp{os.getpid()}"
    with open(temp, "w") as f:
        f.write(text)
    os.replace(temp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--count-file")
    args = parser.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.requests = 0
    server.ids = set()

    def stop(signum, frame):
        if args.count_file:
            with server.lock:
                write_atomically(args.count_file, f"{server.requests} {len(server.ids)}\n")
        # shutdown() waits for serve_forever, which runs in this thread: exit directly instead.
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        write_atomically(args.port_file, f"{server.server_address[1]}\n")
    print(f"webhook_receiver: listening on 127.0.0.1:{server.server_address[1]}", file=sys.stderr,
          flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
