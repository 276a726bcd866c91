#!/usr/bin/env python3
"""A JSON-RPC 2.0 server over HTTP for the proxy tests (standard library only).

It serves the `calc` interface (tests/data/iface/calc.yaml) with the same
behaviour as the implementation in tests/test_invoke.c (configured with
base 100), and misbehaves on purpose depending on the request's path:

  /calc             a correct server
  /status/NNN       replies HTTP NNN
  /malformed        replies 200 with a body that is not JSON
  /notrpc           replies 200 with JSON that is not a JSON-RPC response
  /wrong-id         replies correctly, with the wrong id
  /hang             reads the request and never answers
  /close            reads the request and closes the connection unanswered
  /unknown          knows no method (-32601), like an older server
  /v2               a newer server whose `add` takes three ints (-32602)

GET /stats returns {"connections": N, "notes": N, "requests": N} ("notes"
counts notes that came as notifications).

Usage: jsonrpc_server.py [PORT]  (default 0: any free port). Listens on
127.0.0.1, prints the port on one line of stdout, serves until killed or
until its stdin closes (so it never outlives the test that started it).
"""
import base64
import http.server
import json
import os
import socket
import sys
import threading

BASE = 100
ERROR_NAMES = {10: "COIL_EVALUE", 19: "COIL_EINTERFACE", 20: "COIL_EINIT"}

lock = threading.Lock()
stats = {"connections": 0, "notes": 0, "requests": 0}
never = threading.Event()


class AppError(Exception):
    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


def add(a, b):
    return a + b + BASE


def greet(name, title=None):
    return "Hello, %s%s%s" % (title or "", " " if title else "", name)


def centroid(points):
    if not points:
        raise AppError(10, "the centroid of no points is undefined")
    n = float(len(points))
    return {"x": sum(p["x"] / n for p in points), "y": sum(p["y"] / n for p in points)}


def tally(words):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts


def echo(value):
    return value


def reverse(data):
    return base64.b64encode(base64.b64decode(data)[::-1]).decode()


def note(text):
    return None


def fail(code):
    if code == 0:
        raise AppError(20, "fail failed (object initialization failed)")
    raise AppError(code, "failing on purpose with %d" % code)


def feel(m):
    return "sad" if m == "happy" else "happy"


def count():
    raise AppError(19, "calc.count is not implemented")


METHODS = {f.__name__: f for f in (add, greet, centroid, tally, echo, reverse, note, fail,
                                   feel, count)}


def error(code, message, data=None):
    e = {"code": code, "message": message}
    if data is not None:
        e["data"] = data
    return e


def call(path, req):
    """The response object for one request (None: a notification)."""
    method, params = req.get("method"), req.get("params", [])
    notification = "id" not in req
    if path == "/unknown" or method not in METHODS:
        return error(-32601, "interface 'calc' has no method '%s'" % method), notification
    if path == "/v2" and method == "add" and len(params) < 3:
        return error(-32602, "add: missing parameter 'c' (int)"), notification
    try:
        if isinstance(params, dict):
            result = METHODS[method](**params)
        else:
            result = METHODS[method](*params)
    except AppError as e:
        if -32768 <= e.code <= -32000:
            return error(-32603, e.message, {"code": e.code}), notification
        return error(e.code, e.message, {"coil": ERROR_NAMES.get(e.code, "?")}), notification
    except TypeError as e:
        return error(-32602, "%s: %s" % (method, e)), notification
    if method == "note" and notification:
        with lock:
            stats["notes"] += 1
    return {"result": result}, notification


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's
        # algorithm and delayed ACKs hold every reply back ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with lock:
            stats["connections"] += 1

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        if status in (204, 304):
            # No body, and no Content-Length: bytes after these statuses
            # would be read as the next response on a kept-alive connection.
            self.send_response(status)
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/stats":
            with lock:
                self.reply(200, json.dumps(stats))
        else:
            self.reply(404, "not found", "text/plain")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            stats["requests"] += 1
        path = self.path
        if path.startswith("/status/"):
            return self.reply(int(path[len("/status/"):]), "no", "text/plain")
        if path == "/hang":
            never.wait()
        if path == "/close":
            self.close_connection = True
            return
        if path == "/malformed":
            return self.reply(200, '{"jsonrpc": "2.0", "result": ')
        if path == "/notrpc":
            return self.reply(200, '{"hello": "world"}')
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            return self.reply(415, "unsupported media type", "text/plain")
        try:
            req = json.loads(body)
        except ValueError:
            return self.reply(200, json.dumps({"jsonrpc": "2.0", "id": None,
                                               "error": error(-32700, "parse error")}))
        if not isinstance(req, dict) or req.get("jsonrpc") != "2.0":
            return self.reply(200, json.dumps({"jsonrpc": "2.0", "id": None,
                                               "error": error(-32600, "invalid request")}))
        out, notification = call(path, req)
        if notification:
            return self.reply(200, "")
        resp = {"jsonrpc": "2.0", "id": req["id"]}
        if "result" in out:
            resp["result"] = out["result"]
        else:
            resp["error"] = out
        if path == "/wrong-id":
            resp["id"] = req["id"] + 1000
        self.reply(200, json.dumps(resp))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = Server(("127.0.0.1", port), Handler)
    print(server.server_address[1], flush=True)

    def watch_stdin():
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
