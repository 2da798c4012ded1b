#!/usr/bin/python3
"""A real HTTPS server for tests: Python's http.server behind TLS, listening on 127.0.0.1.

Every GET is answered 200 with Content-Type text/csv and the bytes of --body-file. The
certificate and key (PEM) are --cert and --key. Once it listens, it prints its port (the kernel
picks it) on stdout, one line, which is how a caller knows it is up. A client that refuses the
certificate ends its connection in the handshake; the server goes on. It stops on SIGTERM.
Each request is logged on stderr.
"""

import argparse
import http.server
import ssl


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--body-file", required=True)
    args = parser.parse_args()
    with open(args.body_file, "rb") as f:
        body = f.read()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the fetcher reuses its connection

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    # The handshake runs in accept(); one that fails is an OSError there, which socketserver
    # drops before waiting for the next connection.
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
