#!/usr/bin/python3
"""A real SMTP server for tests, on Debian's python3-aiosmtpd, listening on 127.0.0.1.

Every message it accepts is written to --maildir as NAME.eml (the data exactly as received,
dot-unstuffed), beside NAME.json holding the envelope ({"mail_from": ..., "rcpt_tos": [...]});
the .json is written first and both atomically, so a reader that sees a .eml sees its envelope.
Names sort in the order of arrival, across restarts too.

Options:
  --port N            0 (the default) lets the kernel choose; the port is written to --port-file
                      (atomically) once the server listens, which is how a caller knows it is up.
  --tls-cert/--tls-key  offer STARTTLS and require it before MAIL (require_starttls=True).
  --implicit-tls      TLS from the first byte instead (smtps://), with the same certificate.
  --auth USER:PASSWORD  AUTH PLAIN/LOGIN required before MAIL; only after TLS when TLS is on.
  --fail-first N      reply 451 to the message data of the first N transactions.
  --reject-rcpt ADDR  reply 550 to RCPT TO for that address (repeatable).
  --reject-sender ADDR  reply 553 to MAIL FROM for that address.
  --stall-data SECS   take the message data, then wait SECS before replying (a server that
                      hangs after the data: the client cannot know whether it was taken).
It stops on SIGTERM or SIGINT. Diagnostics go to stderr.
"""

import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def log(message):
    print(f"smtp_server[{os.getpid()}]: {message}", file=sys.stderr, flush=True)


def write_atomically(path, data):
    temp = f"{path}.tmp{os.getpid()}"
    with open(temp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)


class Handler:
    def __init__(self, args):
        self.maildir = args.maildir
        self.fail_remaining = args.fail_first
        self.reject = {address.lower() for address in args.reject_rcpt}
        self.stall = args.stall_data
        self.reject_sender = (args.reject_sender or "").lower()
        self.sequence = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.reject_sender and address.lower() == self.reject_sender:
            log(f"MAIL {address}: refused")
            return "553 5.7.1 Sender address rejected: not owned by user"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            log(f"RCPT {address}: refused")
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.stall > 0:
            log(f"DATA: stalling {self.stall} s")
            await asyncio.sleep(self.stall)
        if self.fail_remaining > 0:
            self.fail_remaining -= 1
            log("DATA: 451 as asked")
            return "451 4.3.0 Temporary failure, try again later"
        self.sequence += 1
        name = f"{time.time_ns():020d}-{os.getpid()}-{self.sequence:04d}"
        data = envelope.original_content
        if data is None:
            data = envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        envelope_json = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
        }
        if self.maildir:
            write_atomically(os.path.join(self.maildir, name + ".json"),
                             json.dumps(envelope_json).encode())
            write_atomically(os.path.join(self.maildir, name + ".eml"), data)
        log(f"DATA: accepted {name} ({len(data)} bytes) for {len(envelope.rcpt_tos)} recipient(s)")
        return f"250 2.0.0 OK queued as {name}"


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        log(f"AUTH {mechanism}: {'ok' if ok else 'refused'}")
        # handled=False: aiosmtpd replies 235, or 535 on failure (handled=True would leave the
        # client waiting for a reply that never comes).
        return AuthResult(success=ok, handled=False)
    return authenticator


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--maildir")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--auth")
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--reject-rcpt", action="append", default=[])
    parser.add_argument("--reject-sender")
    parser.add_argument("--stall-data", type=float, default=0)
    args = parser.parse_args()

    if args.maildir:
        os.makedirs(args.maildir, exist_ok=True)

    context = None
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)

    smtp_kwargs = {
        # A fixed name: the default, socket.getfqdn(), can wait seconds on a resolver.
        "hostname": "localhost",
        "ident": "cohortwatch test SMTP server",
    }
    if context is not None and not args.implicit_tls:
        smtp_kwargs.update(tls_context=context, require_starttls=True)
    if args.auth:
        user, _, password = args.auth.partition(":")
        # aiosmtpd only counts a STARTTLS as TLS: with implicit TLS it would never offer AUTH,
        # so "AUTH only after TLS" is asked of it only with STARTTLS (implicit TLS is TLS anyway).
        smtp_kwargs.update(authenticator=make_authenticator(user, password),
                           auth_required=True,
                           auth_require_tls=context is not None and not args.implicit_tls)

    handler = Handler(args)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, loop=loop, **smtp_kwargs),
        host="127.0.0.1", port=args.port, reuse_address=True,
        ssl=context if args.implicit_tls else None))
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        write_atomically(args.port_file, f"{port}\n".encode())
    log(f"listening on 127.0.0.1:{port}")

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
        log("stopped")


if __name__ == "__main__":
    main()
