#!/usr/bin/env python3
"""A real SMTP server on loopback for the campaign delivery tests (aiosmtpd).

Usage: smtp_sink.py OUT_DIR [--reject ADDR]... [--tls-cert PEM --tls-key PEM [--require-starttls]]

Listens on 127.0.0.1 port 0 and prints "READY <port>" once accepting. Every accepted message is
written to OUT_DIR/<n>.eml (the DATA bytes) with OUT_DIR/<n>.rcpt (one envelope recipient per
line) written first, then renamed into place so readers never see half a file. A recipient listed
with --reject is refused at RCPT TO with "550 5.1.1 mailbox unavailable". Runs until killed.
"""
import argparse
import asyncio
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, out_dir, reject):
        self.out_dir = out_dir
        self.reject = {r.lower() for r in reject}
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.out_dir, "%05d" % self.count)
        with open(base + ".rcpt.tmp", "w") as f:
            f.write("\n".join(envelope.rcpt_tos) + "\n")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".rcpt.tmp", base + ".rcpt")
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out_dir")
    p.add_argument("--reject", action="append", default=[])
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--require-starttls", action="store_true")
    args = p.parse_args()

    tls = None
    if args.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    handler = Handler(args.out_dir, args.reject)

    def factory():
        return SMTP(handler, hostname="sink.test", tls_context=tls,
                    require_starttls=args.require_starttls, data_size_limit=10 * 1024 * 1024)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(factory, host="127.0.0.1", port=0))
    print("READY %d" % server.sockets[0].getsockname()[1], flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
