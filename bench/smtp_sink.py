"""An SMTP sink on loopback for bench/flood.sh: accepts every message and appends one line
per recipient, "<unix seconds> <address>", to the file given, the moment it arrives."""

import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        arrived = time.time()
        for recipient in envelope.rcpt_tos:
            self.out.write(f"{arrived:.3f} {recipient}\n")
        self.out.flush()
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    with open(path, "a", encoding="utf-8") as out:
        controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
        controller.start()
        try:
            while True:
                time.sleep(3600)
        finally:
            controller.stop()


if __name__ == "__main__":
    main()
