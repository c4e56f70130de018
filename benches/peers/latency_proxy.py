"""A loopback proxy that adds the latency of a real region to every request, for the peers
comparison (benches/compare.sh): 50 ms for us-east-1, 70 ms for us-east-2, read from the
SigV4 credential scope. Usage: python latency_proxy.py UPSTREAM_URL [PORT] [--replay]; prints
PORT n.

--replay answers a request it has seen before (same method, path and body, timestamps aside)
with the upstream's earlier answer, after the same delay, without asking the upstream again.
The emulator is one Python process that serialises every call (~2-3 ms of CPU each); AWS serves
callers in parallel. Replaying makes the proxy behave like AWS for the many-pairs benchmark
(benches/pairs.sh): each request costs its region's latency, not a turn in the emulator's queue.
"""

import http.client
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DELAY_S = {"us-east-1": 0.050, "us-east-2": 0.070}
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}
ARGS = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
REPLAY = "--replay" in sys.argv
UPSTREAM = urllib.parse.urlparse(ARGS[0])
# ISO timestamps (raw or form-encoded) in request bodies: GetMetricData's window moves.
TIMESTAMP = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}(?::|%3A)\d{2}(?::|%3A)\d{2}(?:\.\d+)?Z?")
ANSWERS = {}
ANSWERS_LOCK = threading.Lock()


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as they are written, never held back by Nagle's algorithm.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        region = SCOPE.search(self.headers.get("Authorization", ""))
        time.sleep(DELAY_S.get(region.group(1) if region else "", 0.050))
        key = (self.command, self.path, TIMESTAMP.sub(b"T", body))
        with ANSWERS_LOCK:
            answer = ANSWERS.get(key) if REPLAY else None
        if answer is None:
            answer = self.ask_upstream(body)
            if REPLAY and answer[0] < 300:
                with ANSWERS_LOCK:
                    ANSWERS[key] = answer
        status, reason, headers, data = answer
        self.send_response(status, reason)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def ask_upstream(self, body):
        upstream = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        upstream.request(self.command, self.path, body=body, headers=headers)
        reply = upstream.getresponse()
        data = reply.read()
        upstream.close()
        kept = [(k, v) for k, v in reply.getheaders() if k.lower() not in HOP]
        return reply.status, reply.reason, kept, data

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = forward


class Server(ThreadingHTTPServer):
    # drtui opens a dozen connections at once; the default backlog of 5 drops SYNs, which the
    # kernel retransmits after a second: a stall that is the proxy's, not the client's.
    request_queue_size = 128


server = Server(("127.0.0.1", int(ARGS[1]) if len(ARGS) > 1 else 0), Proxy)
server.daemon_threads = True
print(f"PORT {server.server_address[1]}", flush=True)
server.serve_forever()
