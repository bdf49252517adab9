"""open_file_server at the HTTP level, through the real host: connection reuse, pipelining, HTTP/1.0,
refusals of bodies and malformed heads, ignored malformed ranges (the host's own server, host/http)."""
import http.client
import os
import socket
import unittest

from test_file_server import FileServerBase, put_in_cache


def read_until_closed(sock):
    out = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return out
        out += chunk


def read_response(f, head=False):
    """One response from a buffered socket file: (status, lower-cased headers, body by Content-Length)."""
    status = int(f.readline().split()[1])
    headers = {}
    while True:
        line = f.readline().rstrip(b"\r\n")
        if not line:
            break
        name, _, value = line.partition(b":")
        headers[name.decode().lower()] = value.strip().decode()
    body = b"" if head else f.read(int(headers.get("content-length", "0")))
    return status, headers, body


class HttpLevel(FileServerBase):
    env_extra = {"HF_HUB_OFFLINE": "1"}

    def setUp(self):
        super().setUp()
        self.repo = "onnx-community/Tiny"
        self.files = {"config.json": b'{"a": 1}', "onnx/model.onnx": os.urandom(300 * 1024 + 3),
                      "tokenizer.json": b"{}" * 1000}
        put_in_cache(self.cache, self.repo, self.files)
        self.host, self.info = self.start_host()
        self.port, self.token = self.info["port"], self.info["token"]
        self.hostport = "127.0.0.1:%d" % self.port

    def raw(self, data):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        try:
            sock.sendall(data)
            return read_until_closed(sock)
        finally:
            sock.close()

    def test_one_connection_serves_many_files(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.connect()
        local = conn.sock.getsockname()
        for _ in range(3):
            for path, data in self.files.items():
                conn.request("GET", self.url(self.repo, path))
                resp = conn.getresponse()
                self.assertEqual((resp.status, resp.read()), (200, data), path)
                self.assertIsNone(resp.getheader("Connection"))  # kept alive
        self.assertEqual(conn.sock.getsockname(), local)  # never reconnected
        conn.close()

    def test_pipelined_requests_are_answered_in_order(self):
        paths = ["tokenizer.json", "config.json", "missing.json", "onnx/model.onnx"]
        data = b"".join(b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (self.url(self.repo, p).encode(), self.hostport.encode())
                        for p in paths)
        data += b"HEAD %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (
            self.url(self.repo, "config.json").encode(), self.hostport.encode())
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.sendall(data)
        f = sock.makefile("rb")
        for path in paths:
            status, headers, body = read_response(f)
            if path in self.files:
                self.assertEqual((status, body), (200, self.files[path]), path)
            else:
                self.assertEqual(status, 404, path)
        status, headers, body = read_response(f, head=True)
        self.assertEqual((status, headers["content-length"], body), (200, str(len(self.files["config.json"])), b""))
        self.assertEqual(headers["connection"], "close")
        self.assertEqual(f.read(), b"")  # then the server closes
        f.close()
        sock.close()

    def test_http_1_0_client(self):
        out = self.raw(b"GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (self.url(self.repo, "config.json").encode(),
                                                                 self.hostport.encode()))
        head, _, body = out.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head)
        self.assertIn(b"\r\nConnection: close", head)
        self.assertEqual(body, self.files["config.json"])

    def test_bodies_and_malformed_heads_are_refused(self):
        url = self.url(self.repo, "config.json").encode()
        host = self.hostport.encode()
        cases = {
            b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 4\r\n\r\nabcd" % (url, host): b"413",
            b"GET %s HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (url, host): b"400",
            b"GET %s HTTP/1.1\nHost: %s\n\n" % (url, host): b"400",
            b"GET %s HTTP/1.1\r\nHost: %s\r\nHost: %s\r\n\r\n" % (url, host, host): b"400",
            b"GET %s HTTP/1.1\r\nHost: %s\r\nX: a\r\n b\r\n\r\n" % (url, host): b"400",
            b"GET %s HTTP/1.1\r\nHost: %s\r\nX: %s\r\n\r\n" % (url, host, b"a" * 70000): b"431",
        }
        for request, status in cases.items():
            out = self.raw(request)
            self.assertTrue(out.startswith(b"HTTP/1.1 " + status + b" "), (request[:80], out[:80]))
            self.assertNotIn(self.files["config.json"], out)

    def test_malformed_range_is_ignored(self):
        # RFC 9110 §14.2: a Range the server does not understand is ignored; the whole file is sent.
        url = self.url(self.repo, "onnx/model.onnx")
        for rng in ("bytes=5-2", "bytes=abc", "bytes=1-2,4-5", "lines=1-2"):
            status, headers, body = self.get(url, headers={"Range": rng})
            self.assertEqual((status, body), (200, self.files["onnx/model.onnx"]), rng)
            self.assertNotIn("content-range", headers)


if __name__ == "__main__":
    unittest.main()
