"""Timeouts over a real socket (a local HTTP server that stalls or drips): the call gives up in time."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from payments.payfip import PayfipClient, PayfipUnavailable
from tests.unit.payments.payfip import payfip_samples as samples


class _Handler(BaseHTTPRequestHandler):
    mode = "stall"

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.server.mode == "stall":
            time.sleep(1.2)
            return
        body = samples.detail()
        if self.server.mode == "chunked":
            self.protocol_version = "HTTP/1.1"
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (body[:100], body[100:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for byte in body:  # a byte every 0.1 s: each read is quick, the whole answer is not
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.1)

    def log_message(self, *args):
        pass


def _serve(mode):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.mode = mode
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/tpa/services/securite"


@pytest.fixture
def server(request):
    server, url = _serve(request.param)
    yield url
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("server", ["chunked"], indirect=True)
def test_a_chunked_answer_is_read_whole(server):
    assert PayfipClient(service_url=server, timeout=5).payment_detail(samples.IDOP).montant == 1000


@pytest.mark.parametrize("server", ["stall", "drip"], indirect=True)
def test_a_slow_service_is_unavailable_within_the_timeout(server):
    client = PayfipClient(service_url=server, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(PayfipUnavailable):
        client.payment_detail(samples.IDOP)
    assert time.monotonic() - started < 1.5
