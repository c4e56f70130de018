"""A loopback proxy that adds the latency of a real region to every request, for the peers
comparison (benches/compare.sh): 50 ms for us-east-1, 70 ms for us-east-2, read from the
SigV4 credential scope. Usage: python latency_proxy.py UPSTREAM_URL [PORT]; prints PORT n.
"""

import http.client
import re
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = urllib.parse.urlparse(sys.argv[1])
DELAY_S = {"us-east-1": 0.050, "us-east-2": 0.070}
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


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
        upstream = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        upstream.request(self.command, self.path, body=body, headers=headers)
        reply = upstream.getresponse()
        data = reply.read()
        self.send_response(reply.status, reply.reason)
        for key, value in reply.getheaders():
            if key.lower() not in HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = forward


class Server(ThreadingHTTPServer):
    # drtui opens a dozen connections at once; the default backlog of 5 drops SYNs, which the
    # kernel retransmits after a second: a stall that is the proxy's, not the client's.
    request_queue_size = 128


server = Server(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 0), Proxy)
server.daemon_threads = True
print(f"PORT {server.server_address[1]}", flush=True)
server.serve_forever()
