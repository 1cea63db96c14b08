#!/usr/bin/env python3
"""A real SMTP server for the mail tests (Debian's python3-aiosmtpd), on 127.0.0.1 only.

Every accepted message is written to MAILDIR as NNNNNN.eml (envelope lines first, then the
message as received); the port is written to PORT_FILE once the server answers. Behaviours:

  --fail 451,421     answer the first DATA commands with these codes, then accept
  --reject 550       refuse every recipient with this code
  --starttls CERT KEY   offer STARTTLS (--require-starttls: refuse mail without it)
  --smtps CERT KEY   TLS from the first byte (implicit TLS)
  --auth USER:PASS   require AUTH (PLAIN or LOGIN) with these credentials
  --silent           accept connections and never say a word (a hung server)

Stops on SIGTERM. The test that starts it stops it, also when the test fails.
"""
import argparse
import asyncio
import os
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, maildir, fail_codes, reject):
        self.maildir = maildir
        self.fail_codes = list(fail_codes)
        self.reject = reject
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject:
            return f"{self.reject} 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.fail_codes:
                code = self.fail_codes.pop(0)
                return f"{code} 4.3.0 Try again later"
            self.count += 1
            name = os.path.join(self.maildir, f"{self.count:06d}.eml")
        head = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {','.join(envelope.rcpt_tos)}\r\n"
        tmp = name + ".tmp"
        with open(tmp, "wb") as out:
            out.write(head.encode())
            out.write(envelope.original_content)
        os.rename(tmp, name)  # a reader never sees half a message
        return "250 Message accepted for delivery"


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def silent_server(port, port_file):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    write_port(port_file, listener.getsockname()[1])
    held = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        connection, _ = listener.accept()
        held.append(connection)  # never answered, never closed


def write_port(port_file, port):
    with open(port_file + ".tmp", "w") as out:
        out.write(str(port))
    os.rename(port_file + ".tmp", port_file)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--fail", default="")
    parser.add_argument("--reject", default="")
    parser.add_argument("--starttls", nargs=2)
    parser.add_argument("--require-starttls", action="store_true")
    parser.add_argument("--smtps", nargs=2)
    parser.add_argument("--auth", default="")
    parser.add_argument("--silent", action="store_true")
    args = parser.parse_args()

    port = args.port or free_port()
    if args.silent:
        silent_server(port, args.port_file)
        return

    os.makedirs(args.maildir, exist_ok=True)
    recorder = Recorder(args.maildir, [c for c in args.fail.split(",") if c], args.reject)
    options = {}
    if args.starttls:
        options["tls_context"] = tls_context(*args.starttls)
        options["require_starttls"] = args.require_starttls
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            return AuthResult(success=ok)

        options["authenticator"] = authenticate
        options["auth_required"] = True
        # Over STARTTLS or implicit TLS when the test asks for them; plain otherwise.
        options["auth_require_tls"] = bool(args.starttls)
    controller_options = {}
    if args.smtps:
        controller_options["ssl_context"] = tls_context(*args.smtps)

    class Server(Controller):
        def factory(self):
            return SMTP(self.handler, **options)

    controller = Server(recorder, hostname="127.0.0.1", port=port, **controller_options)
    controller.start()
    write_port(args.port_file, port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
