# SPDX-License-Identifier: Apache-2.0
"""A registry token server for the tests (distribution's token auth spec), on 127.0.0.1:PORT.

    token_server.py PORT KEY CERT ISSUER USER:PASSWORD...

GET /token?service=S&scope=repository:NAME:ACTIONS answers {"token", "access_token",
"expires_in"} with a JWT signed RS256 by KEY (the openssl CLI signs), its certificate CERT in
the x5c header, as the registry's rootcertbundle expects. Basic credentials must match a
USER:PASSWORD (else 401 with a registry error body); a known user gets what the scope asks
for, an anonymous client only pull on repositories under public/.
"""
import base64
import json
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der(path):
    with open(path) as f:
        pem = f.read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


def main():
    port, key, cert, issuer = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    users = dict(u.split(":", 1) for u in sys.argv[5:])
    x5c = base64.b64encode(cert_der(cert)).decode()

    def sign(claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
        signing = ("%s.%s" % (b64url(json.dumps(header).encode()),
                              b64url(json.dumps(claims).encode()))).encode()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing,
                             capture_output=True, check=True).stdout
        return signing.decode() + "." + b64url(sig)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, status, doc):
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            url = urlsplit(self.path)
            q = parse_qs(url.query)
            user = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
                if users.get(u) != p:
                    self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                 "message": "incorrect username or password"}]})
                    return
                user = u
            access = []
            for scope in q.get("scope", []):
                kind, name, actions = scope.split(":", 2) if scope.count(":") >= 2 else (
                    "", "", "")
                if kind != "repository":
                    continue
                want = actions.split(",")
                granted = want if user else [a for a in want if a == "pull" and
                                             name.startswith("public/")]
                access.append({"type": "repository", "name": name, "actions": granted})
            now = int(time.time())
            token = sign({"iss": issuer, "sub": user or "", "aud": q.get("service", [""])[0],
                          "exp": now + 300, "nbf": now - 10, "iat": now,
                          "jti": b64url(os.urandom(12)), "access": access})
            self.reply(200, {"token": token, "access_token": token, "expires_in": 300})

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
