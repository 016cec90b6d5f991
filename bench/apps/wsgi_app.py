# The scenario app for Gunicorn: the same routes as routes.js (WebSocket excluded).
import hashlib
import os
import time

CPU_ITERATIONS = 13000
HELLO = b"Hello, World!\n"
BODY_64K = b"x" * 65536


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/":
        body = HELLO
    elif path == "/pid":
        body = str(os.getpid()).encode()
    elif path == "/async":
        time.sleep(0.020)  # cooperative under gevent (monkey-patched)
        body = HELLO
    elif path == "/cpu":
        body = hashlib.pbkdf2_hmac("sha256", b"pw", b"salt", CPU_ITERATIONS, 32).hex().encode()
    elif path == "/64k":
        body = BODY_64K
    elif path == "/upload":
        stream, size = environ["wsgi.input"], 0
        while True:
            chunk = stream.read(65536)
            if not chunk:
                break
            size += len(chunk)
        body = str(size).encode()
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not Found\n"]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
