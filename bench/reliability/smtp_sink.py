"""A mail server on loopback that accepts everything and remembers each
message's Message-ID, so that a scenario can count deliveries per outbox row.

yizhan's Message-ID is `<outbox.{row id}.{created}@{host}>`, the same on
every retry: a message seen twice was delivered twice.
"""

import re
import socketserver
import threading
import time

from harness import free_port

MESSAGE_ID = re.compile(rb"^Message-ID:\s*<outbox\.(\d+)\.", re.IGNORECASE | re.MULTILINE)


class SmtpSink:
    def __init__(self):
        self.port = free_port()
        self.lock = threading.Lock()
        self.deliveries = {}  # outbox id -> [time of each delivery]
        self.unidentified = 0
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line):
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self):
                try:
                    self.converse()
                except OSError:
                    pass  # the sender died mid-message (the crash scenario)

            def converse(self):
                self.reply("220 sink ESMTP")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        self.reply("250-sink")
                        self.reply("250 8BITMIME")
                    elif verb == b"DATA":
                        self.reply("354 go ahead")
                        chunks = []
                        while True:
                            data = self.rfile.readline()
                            if not data or data in (b".\r\n", b".\n"):
                                break
                            chunks.append(data)
                        sink._received(b"".join(chunks))
                        self.reply("250 queued")
                    elif verb == b"QUIT":
                        self.reply("221 bye")
                        return
                    else:  # MAIL, RCPT, RSET, NOOP
                        self.reply("250 ok")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _received(self, message):
        found = MESSAGE_ID.search(message)
        with self.lock:
            if found:
                key = int(found.group(1))
                self.deliveries.setdefault(key, []).append(time.time())
            else:
                self.unidentified += 1

    def settings(self):
        """The service settings that send mail here."""
        return {
            "YIZHAN__MAIL__TRANSPORT": "smtp",
            "YIZHAN__MAIL__SMTP_HOST": "127.0.0.1",
            "YIZHAN__MAIL__SMTP_PORT": str(self.port),
            "YIZHAN__MAIL__SMTP_SECURITY": "plain",
            "YIZHAN__MAIL__POLL_INTERVAL_SECS": "1",
        }

    def snapshot(self):
        with self.lock:
            return {k: list(v) for k, v in self.deliveries.items()}, self.unidentified

    def close(self):
        self.server.shutdown()
