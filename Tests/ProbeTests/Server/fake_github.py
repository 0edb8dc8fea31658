#!/usr/bin/env python3
"""A small GitHub REST double for ghr-audit's probe tests (Python standard library only).

It plays github.com or a GitHub Enterprise Server for one GitHub App and one organization or
repository, serving GitHub's own example payloads (the testdata folder given with --data) with a
scenario's changes on top. It checks what the real API checks and the probe must get right:

* every `/app...` call carries an RS256 JWT whose signature verifies against the App's public key
  (modulus and exponent in the scenario) and whose claims GitHub would accept: `iss` the App id,
  `iat` in the past, `exp` in the future and at most 10 minutes ahead;
* the runner endpoints take only an installation token this server minted, and only with the
  permission the endpoint needs (organization_self_hosted_runners or administration, read or write);
* installation tokens are granted only for permissions the installation has (else 422);
* GHES: everything under /api/v3, `X-GitHub-Enterprise-Version` on every response, `installed_version`
  in /meta, and no generate-jitconfig before 3.10 (404);
* injected faults (401/403/404/422/429/5xx with headers) for named requests, a given number of times;
* with `hold_jit_answer`, a generate-jitconfig that creates the runner but holds its answer until the
  client goes away (an interrupted probe), announced on stdout as `{"event": "held", ...}`.

Every request is appended to the log file as one JSON line (method, path, query, auth kind, status):
the tests assert on it. It listens on 127.0.0.1 only, on a free port it prints as `{"port": N}` on
its first line of stdout; with --watch-stdin (as the tests start it) it exits when stdin closes, so it
never outlives the test process.
"""
import argparse
import base64
import copy
import hashlib
import json
import os
import re
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
LEVELS = {"read": 1, "write": 2, "admin": 3}


def b64url_decode(s):
    s = s + "=" * (-len(s) % 4)
    return base64.urlsafe_b64decode(s.encode("ascii"))


def rs256_valid(signing_input, signature, n, e):
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    m = pow(int.from_bytes(signature, "big"), e, n).to_bytes(k, "big")
    t = SHA256_DIGEST_INFO + hashlib.sha256(signing_input).digest()
    expected = b"\x00\x01" + b"\xff" * (k - 3 - len(t)) + b"\x00" + t
    return secrets.compare_digest(m, expected)


def der_read(b, i):
    """One DER element at i: (tag, contents, next index)."""
    tag, length = b[i], b[i + 1]
    i += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(b[i:i + n], "big")
        i += n
    return tag, b[i:i + length], i + length


def rsa_public_key_from_pem(text):
    """(n, e) of an RSA public key in PEM: SubjectPublicKeyInfo or PKCS#1 `RSA PUBLIC KEY`."""
    body = "".join(line for line in text.strip().splitlines() if not line.startswith("-----"))
    der = base64.b64decode(body)
    _, seq, _ = der_read(der, 0)
    if "BEGIN PUBLIC KEY" in text:
        _, _, j = der_read(seq, 0)  # AlgorithmIdentifier
        _, bits, _ = der_read(seq, j)
        _, seq, _ = der_read(bits[1:], 0)
    _, n, j = der_read(seq, 0)
    _, e, _ = der_read(seq, j)
    return int.from_bytes(n, "big"), int.from_bytes(e, "big")


def version_tuple(v):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


class State:
    def __init__(self, scenario, data_dir):
        self.lock = threading.Lock()
        self.scenario = scenario
        self.data_dir = data_dir
        self.app_id = str(scenario["app_id"])
        if "public_key_pem" in scenario:
            self.n, self.e = rsa_public_key_from_pem(scenario["public_key_pem"])
        else:
            self.n = int(scenario["public_key"]["n"], 16)
            self.e = int(scenario["public_key"]["e"], 16)
        self.ghes = scenario.get("ghes_version")
        self.owner = scenario["owner"]  # "org" or "owner/repo"
        self.tokens = {}  # token -> permissions
        self.faults = [dict(f, used=0) for f in scenario.get("faults", [])]
        self.app = self.example("integration.json")
        self.app["id"] = int(self.app_id) if self.app_id.isdigit() else self.app["id"]
        for key in ("permissions", "events"):
            if key in scenario.get("app", {}):
                self.app[key] = scenario["app"][key]
        self.installation = self.example("installation.json")
        self.installation["app_id"] = self.app["id"]
        self.installation["account"]["login"] = self.owner.split("/")[0]
        self.installation["target_type"] = "Organization" if "/" not in self.owner else "Repository"
        inst = scenario.get("installation", {})
        self.installation["permissions"] = inst.get("permissions", self.app["permissions"])
        self.installation["events"] = inst.get("events", self.app["events"])
        self.hook = self.example("webhook-config.json")
        self.hook.update(scenario.get("webhook", {}))
        page = self.example("runner-paginated.json")
        self.runners = {r["id"]: r for r in scenario.get("runners", page["runners"])}
        self.groups = self.example("runner-groups-org.json")["runner_groups"]

    def example(self, name):
        with open(os.path.join(self.data_dir, name), encoding="utf-8") as f:
            return json.load(f)

    def fault_for(self, method, path):
        with self.lock:
            for f in self.faults:
                if f["method"] == method and re.fullmatch(f["path"], path) and f["used"] < f.get("times", 1):
                    f["used"] += 1
                    return f
        return None


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-github"
    sys_version = ""

    def log_message(self, *args):
        pass

    # --- plumbing -----------------------------------------------------------------------------
    def reply(self, status, body=None, headers=None):
        st = self.server.state
        self.status = status
        if not getattr(self, "logged", False):
            self.write_log()  # before the response leaves, so a client that has it finds it logged
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-GitHub-Request-Id", "FAKE:%04X" % (len(self.server.log_lines) + 1))
        fields = {}
        if st.ghes:
            fields["X-GitHub-Enterprise-Version"] = st.ghes
        else:
            fields.update({"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4990",
                           "X-RateLimit-Reset": str(int(time.time()) + 3600), "X-RateLimit-Resource": "core"})
        fields.update(headers or {})
        for k, v in fields.items():
            self.send_header(k, v)
        self.end_headers()
        if data:
            self.wfile.write(data)

    def error(self, status, message, headers=None):
        body = {"message": message, "documentation_url": "https://docs.github.com/rest", "status": str(status)}
        self.reply(status, body, headers)

    def body_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        return json.loads(raw.decode("utf-8"))

    def handle_any(self, method):
        self.status = 0
        self.auth_kind = "none"
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        self.request_line = (method, path, parts.query)
        try:
            self.route(method, path, query)
        except Exception as exc:  # a bug here must show as a 500, not a hang
            if not self.status:
                self.error(500, "fake server error: %s" % type(exc).__name__)

    def write_log(self):
        method, path, query = self.request_line
        entry = {"method": method, "path": path, "query": query, "auth": self.auth_kind, "status": self.status}
        if getattr(self, "asked", None) is not None:
            entry["permissions"] = self.asked
        with self.server.log_lock:
            self.server.log_lines.append(entry)
            with open(self.server.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")

    def hold_answer(self, status):
        """The runner exists, its answer has not left: logs the request, tells the test on stdout
        (`{"event": "held", ...}`), and waits until the client closes the connection (an
        interrupted probe) or 60 s pass. The answer is then sent to whoever is still there."""
        import select
        import socket
        self.status = status
        self.write_log()
        self.logged = True
        method, path, _ = self.request_line
        self.server.emit({"event": "held", "method": method, "path": path})
        deadline = time.time() + 60
        while time.time() < deadline:
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        break
                except (OSError, ValueError):  # reset, or TLS (no peeking): treat as gone
                    break
        self.server.emit({"event": "released", "method": method, "path": path})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_PUT(self):
        self.handle_any("PUT")

    # --- authentication -----------------------------------------------------------------------
    def bearer(self):
        h = self.headers.get("Authorization") or ""
        for scheme in ("Bearer ", "token "):
            if h.startswith(scheme):
                return h[len(scheme):].strip()
        return None

    def remember(self, kind, value):
        """Keeps every credential seen or minted, for the tests that prove none leaks."""
        if self.server.secrets_path is None:
            return
        with self.server.log_lock:
            bucket = self.server.secrets.setdefault(kind, [])
            if value not in bucket:
                bucket.append(value)
                with open(self.server.secrets_path, "w", encoding="utf-8") as f:
                    json.dump(self.server.secrets, f)

    def require_jwt(self):
        st = self.server.state
        token = self.bearer()
        if token is not None:
            self.remember("jwts", token)
        if token is None:
            self.auth_kind = "none"
            self.error(401, "Requires authentication")
            return False
        if token in st.tokens:
            self.auth_kind = "token"
            self.error(401, "A JSON web token could not be decoded")
            return False
        self.auth_kind = "jwt"
        problem = self.jwt_problem(token)
        if problem:
            self.auth_kind = "bad-jwt"
            self.error(401, problem)
            return False
        return True

    def jwt_problem(self, token):
        st = self.server.state
        pieces = token.split(".")
        if len(pieces) != 3:
            return "A JSON web token could not be decoded"
        try:
            header = json.loads(b64url_decode(pieces[0]))
            claims = json.loads(b64url_decode(pieces[1]))
            signature = b64url_decode(pieces[2])
        except Exception:
            return "A JSON web token could not be decoded"
        if header.get("alg") != "RS256":
            return "A JSON web token could not be decoded"
        if not rs256_valid((pieces[0] + "." + pieces[1]).encode("ascii"), signature, st.n, st.e):
            return "A JSON web token could not be decoded"
        now = int(time.time())
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or iat > now + 1:
            return "'Issued at' claim ('iat') must be an Integer representing a time in the past."
        if not isinstance(exp, int) or exp <= now:
            return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires."
        if exp > now + 600:
            return "'Expiration time' claim ('exp') is too far in the future"
        if str(claims.get("iss")) != st.app_id:
            return "'Issuer' claim ('iss') must be an Integer"
        return None

    def require_token(self, permission, level):
        st = self.server.state
        token = self.bearer()
        if token is None:
            self.error(401, "Requires authentication")
            return False
        granted = st.tokens.get(token)
        if granted is None:
            self.auth_kind = "jwt" if token.count(".") == 2 else "bad-token"
            self.error(401, "Bad credentials")
            return False
        self.auth_kind = "token"
        if LEVELS.get(granted.get(permission, ""), 0) < LEVELS[level]:
            self.error(403, "Resource not accessible by integration")
            return False
        return True

    # --- routes -------------------------------------------------------------------------------
    def route(self, method, path, query):
        st = self.server.state
        if st.ghes:
            if not path.startswith("/api/v3/") and path != "/api/v3":
                self.error(404, "Not Found")
                return
            path = path[len("/api/v3"):] or "/"
        fault = st.fault_for(method, path)
        if fault:
            self.reply(fault["status"], fault.get("body", {"message": fault.get("message", "injected")}), fault.get("headers"))
            return
        owner = st.owner
        scope = "/repos/" + owner if "/" in owner else "/orgs/" + owner
        runner_permission = "administration" if "/" in owner else "organization_self_hosted_runners"

        if method == "GET" and path == "/meta":
            meta = st.example("ghes-3.22/api-overview.json" if st.ghes else "api-overview.json")
            if st.ghes:
                meta["installed_version"] = st.ghes
            self.reply(200, meta)
        elif method == "GET" and path == "/app":
            if self.require_jwt():
                self.reply(200, st.app)
        elif method == "GET" and path == "/app/installations":
            if self.require_jwt():
                self.reply(200, [st.installation])
        elif method == "GET" and path == "/app/hook/config":
            if self.require_jwt():
                self.reply(200, st.hook)
        elif method == "GET" and path in ("/orgs/%s/installation" % owner, "/repos/%s/installation" % owner):
            if self.require_jwt():
                if path.startswith(scope + "/"):
                    self.reply(200, st.installation)
                else:
                    self.error(404, "Not Found")
        elif method == "GET" and re.fullmatch(r"/(orgs/[^/]+|repos/[^/]+/[^/]+)/installation", path):
            if self.require_jwt():
                self.error(404, "Not Found")
        elif method == "POST" and re.fullmatch(r"/app/installations/\d+/access_tokens", path):
            if not self.require_jwt():
                return
            if int(path.split("/")[3]) != st.installation["id"]:
                self.error(404, "Not Found")
                return
            asked = self.body_json().get("permissions") or dict(st.installation["permissions"])
            self.asked = asked
            have = st.installation["permissions"]
            for name, level in asked.items():
                if LEVELS.get(have.get(name, ""), 0) < LEVELS.get(level, 99):
                    self.reply(422, {"message": "The permissions requested are not granted to this installation.",
                                     "documentation_url": "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"})
                    return
            token = "ghs_" + secrets.token_hex(18)
            with st.lock:
                st.tokens[token] = asked
            self.remember("tokens", token)
            body = st.example("installation-token.json")
            body.update({"token": token, "permissions": asked,
                         "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))})
            self.reply(201, body)
        elif path.startswith(scope + "/actions/"):
            self.runner_routes(method, path[len(scope):], query, runner_permission)
        elif re.fullmatch(r"/(orgs/[^/]+|repos/[^/]+/[^/]+)/actions/.*", path):
            self.error(404, "Not Found")
        else:
            self.error(404, "Not Found")

    def runner_routes(self, method, rest, query, permission):
        st = self.server.state
        if method == "GET" and rest == "/actions/runners":
            if not self.require_token(permission, "read"):
                return
            runners = sorted(st.runners.values(), key=lambda r: r["id"])
            per_page = max(1, min(100, int((query.get("per_page") or ["30"])[0])))
            page = max(1, int((query.get("page") or ["1"])[0]))
            chunk = runners[(page - 1) * per_page: page * per_page]
            headers = {}
            if page * per_page < len(runners):
                base = "%s://%s:%d%s" % (self.server.scheme, self.server.server_address[0], self.server.server_address[1], urlsplit(self.path).path)
                headers["Link"] = '<%s?per_page=%d&page=%d>; rel="next", <%s?per_page=%d&page=%d>; rel="last"' % (
                    base, per_page, page + 1, base, per_page, (len(runners) + per_page - 1) // per_page)
            self.reply(200, {"total_count": len(runners), "runners": chunk}, headers)
        elif method == "GET" and rest == "/actions/runner-groups":
            if self.require_token(permission, "read"):
                self.reply(200, {"total_count": len(st.groups), "runner_groups": st.groups})
        elif method == "POST" and rest == "/actions/runners/generate-jitconfig":
            if not self.require_token(permission, "write"):
                return
            if st.ghes and version_tuple(st.ghes) < (3, 10, 0):
                self.error(404, "Not Found")
                return
            body = self.body_json()
            name, group, labels = body.get("name"), body.get("runner_group_id"), body.get("labels")
            if not isinstance(name, str) or not name or not isinstance(group, int) or not isinstance(labels, list) \
                    or not 1 <= len(labels) <= 100 or not all(isinstance(x, str) and x for x in labels):
                self.reply(422, {"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest",
                                 "errors": ["name, runner_group_id and 1 to 100 labels are required"]})
                return
            if group not in [g["id"] for g in st.groups]:
                self.error(404, "Not Found")
                return
            with st.lock:
                if any(r["name"] == name for r in st.runners.values()):
                    self.error(409, "Already exists - A runner with the name %s already exists." % name)
                    return
                rid = max(list(st.runners) + [100]) + 1
                runner = {"id": rid, "name": name, "os": "unknown", "status": "offline", "busy": False, "ephemeral": True,
                          "runner_group_id": group,
                          "labels": [{"id": i + 1, "name": x, "type": "custom"} for i, x in enumerate(labels)]}
                st.runners[rid] = runner
            jit = base64.b64encode(json.dumps({".runner": secrets.token_hex(8), ".credentials": secrets.token_hex(16)}).encode()).decode()
            self.remember("jit_configs", jit)
            if st.scenario.get("hold_jit_answer"):
                self.hold_answer(201)
            self.reply(201, {"runner": runner, "encoded_jit_config": jit})
        elif method in ("GET", "DELETE") and re.fullmatch(r"/actions/runners/\d+", rest):
            if not self.require_token(permission, "read" if method == "GET" else "write"):
                return
            rid = int(rest.rsplit("/", 1)[1])
            with st.lock:
                runner = st.runners.get(rid)
                if runner is None:
                    self.error(404, "Not Found")
                    return
                if method == "DELETE":
                    del st.runners[rid]
            if method == "DELETE":
                self.reply(204)
            else:
                self.reply(200, runner)
        else:
            self.error(404, "Not Found")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--scenario", required=True, help="scenario JSON file")
    p.add_argument("--data", required=True, help="folder of GitHub example payloads")
    p.add_argument("--log", required=True, help="request log, one JSON line per request")
    p.add_argument("--watch-stdin", action="store_true", help="exit when stdin closes (the tests' way to stop it)")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM) ...")
    p.add_argument("--tls-key", help="... and this key")
    p.add_argument("--public-key", help="the App's public key (PEM); replaces the scenario's")
    p.add_argument("--secrets", help="file that keeps every JWT seen and token and JIT config minted (for leak tests)")
    args = p.parse_args()
    with open(args.scenario, encoding="utf-8") as f:
        scenario = json.load(f)
    if args.public_key:
        with open(args.public_key, encoding="utf-8") as f:
            scenario["public_key_pem"] = f.read()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.scheme = "http"
    if args.tls_cert:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.scheme = "https"
    server.state = State(scenario, args.data)
    server.log_path = args.log
    server.log_lock = threading.Lock()
    server.log_lines = []
    server.secrets_path = args.secrets
    server.secrets = {}
    open(args.log, "w").close()

    def watch_stdin():
        sys.stdin.read()
        server.shutdown()

    if args.watch_stdin:
        threading.Thread(target=watch_stdin, daemon=True).start()
    stdout_lock = threading.Lock()

    def emit(event):
        with stdout_lock:
            print(json.dumps(event), flush=True)

    server.emit = emit
    emit({"port": server.server_address[1]})
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
