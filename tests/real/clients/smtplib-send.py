#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Python's smtplib as an SMTP client that requires STARTTLS, used the two
ways applications use it (tests/real/clients.sh):

  noverify  s.starttls()                 no context: smtplib builds one with
                                         ssl._create_stdlib_context(), which
                                         verifies neither the chain nor the name
  verify    s.starttls(context=ssl.create_default_context(cafile=STARK_CA))

Reads the message on stdin and sends it as the documentation shows, inside
`with smtplib.SMTP(...)` (whose __exit__ sends QUIT). Connects to STARK_HOST
only; STARK_SERVERNAME is the name for SNI and the certificate check.
Exit status: 0 sent, 1 any error (the exception is printed).
"""
import os
import smtplib
import ssl
import sys


def main():
    mode = sys.argv[1]
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    host = os.environ["STARK_HOST"]
    port = int(os.environ["STARK_PORT"])
    name = os.environ["STARK_SERVERNAME"]
    msg = sys.stdin.read().replace("\n", "\r\n")
    with smtplib.SMTP(host, port, local_hostname="client.stark.test", timeout=timeout) as s:
        # smtplib takes SNI and the name to verify from the host it connected
        # to (self._host); connect to the loopback address, check the name.
        s._host = name
        if mode == "verify":
            s.starttls(context=ssl.create_default_context(cafile=os.environ["STARK_CA"]))
        else:
            s.starttls()
        s.sendmail("a@stark.test", ["b@stark.test"], msg)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # report like a CLI client: one line, non-zero
        print("smtplib: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
