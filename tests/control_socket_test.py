#!/usr/bin/env python3
"""The control socket against a running mhad (issue 10, "Done means").

    tests/control_socket_test.py MHAD MHACTL CORPUS

Starts the built mhad with a throw-away configuration (one cluster whose
servers do not answer, auto_failover off) and a socket group and admin group
created for the test, then:

  * access: a system user created for the test, in the socket's group only,
    can read (`mhactl status` works) and cannot change (`mhactl failover` and
    `mhactl maintenance on` are refused naming its uid and the admin group,
    and nothing happens); a user in neither group cannot connect; once in the
    admin group the same user can change; root can always;
  * malformed input: every line of CORPUS (tests/fixtures/), binary garbage,
    2 MiB lines, deep nesting, a pipelined flood of `check`, 300 idle
    connections and a byte-dribbling client each get an error or a drop, and
    `mhactl status` answers right after each.

Needs root (users, groups, setpriv). Exit 0 pass, 1 fail, 77 skipped (not
root, or a tool missing). The users and groups are removed at the end.
"""

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

FAILURES = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        FAILURES.append(what)
    return condition


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kwargs)


class Mhad:
    """The built mhad on a temporary directory, its log kept for greps."""

    def __init__(self, binary, directory, socket_group, admin_group):
        self.dir = directory
        self.socket = os.path.join(directory, "mhad.sock")
        os.makedirs(os.path.join(directory, "clusters.d"))
        with open(os.path.join(directory, "mhad.toml"), "w") as f:
            f.write(f'[daemon]\nsocket = "{self.socket}"\nstate_dir = "{directory}/state"\n'
                    f'socket_group = "{socket_group}"\nadmin_group = "{admin_group}"\nworker_threads = 2\n')
        # Servers nobody answers for: the monitor runs, nothing can fail over.
        with open(os.path.join(directory, "clusters.d", "app1.toml"), "w") as f:
            f.write('user = "mha"\npassword = "corpus-s3cret"\nrepl_user = "repl"\nrepl_password = "corpus-r3pl"\n'
                    'ping_interval = "1s"\nauto_failover = false\nssh_host_key_checking = "no"\n'
                    '[[server]]\nname = "master"\nhost = "127.0.0.1"\nport = 1\n'
                    '[[server]]\nname = "slave1"\nhost = "127.0.0.1"\nport = 2\n')
        self.log_path = os.path.join(directory, "mhad.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([binary, "--config", os.path.join(directory, "mhad.toml")],
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        if self.alive():
            self.process.terminate()
            try:
                return self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class Ctl:
    def __init__(self, binary, mhad):
        self.binary = binary
        self.mhad = mhad

    def __call__(self, *args, user=None):
        argv = [self.binary, "--socket", self.mhad.socket, "--timeout", "20s", *args]
        if user is not None:
            # The user's own uid, gid and groups from /etc/group, as a login would have.
            argv = ["setpriv", f"--reuid={user}", f"--regid={user_gid(user)}", "--init-groups", *argv]
        return run(argv)

    def status_answers(self):
        r = self("status", "--json")
        try:
            return r.returncode == 0 and json.loads(r.stdout)["clusters"][0]["name"] == "app1"
        except (ValueError, KeyError, IndexError):
            return False


def user_gid(name):
    import pwd
    return pwd.getpwnam(name).pw_gid


def uid_of(name):
    import pwd
    return pwd.getpwnam(name).pw_uid


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def outcome(sock, timeout=15.0):
    """What the server did: ('reply', doc), ('closed', None) or ('nothing', None)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return ("nothing", None)
    except (ConnectionResetError, BrokenPipeError):
        return ("closed", None)
    if b"\n" in data:
        try:
            return ("reply", json.loads(data.split(b"\n", 1)[0]))
        except ValueError:
            return ("garbage", data[:200])
    return ("closed", None)


def error_or_drop(kind, doc):
    return kind == "closed" or (kind == "reply" and doc.get("ok") is False and "code" in doc.get("error", {}))


def send_case(mhad, payload, timeout=15.0):
    s = connect(mhad.socket)
    try:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # dropped while sending: a drop
        return outcome(s, timeout)
    finally:
        s.close()


def access_checks(mhad, ctl, reader, admin_group, outsider):
    uid = uid_of(reader)
    check(ctl.status_answers(), "root: mhactl status answers")
    r = ctl("status", user=reader)
    check(r.returncode == 0 and "cluster app1" in r.stdout, f"'{reader}' (socket group): mhactl status works")

    r = ctl("failover", user=reader)
    expected = (f"'failover' changes a cluster and needs root or group '{admin_group}'; uid {uid} is not in it "
                f"(usermod -aG {admin_group} USER) (permission_denied)")
    check(r.returncode == 1 and expected in r.stderr, f"'{reader}': mhactl failover refused: {r.stderr.strip()}")
    r = ctl("maintenance", "on", "--reason", "test", user=reader)
    check(r.returncode == 1 and "permission_denied" in r.stderr, f"'{reader}': mhactl maintenance on refused")
    r = ctl("reload", user=reader)
    check(r.returncode == 1 and "permission_denied" in r.stderr, f"'{reader}': mhactl reload refused")
    status = json.loads(ctl("status", "--json").stdout)["clusters"][0]
    check(status["maintenance"] is None and status["operation_running"] is None and not status["history"],
          "nothing happened: no maintenance, no operation, no history")
    log = mhad.log_text()
    check("failover of 'app1' starting" not in log and "failover requested" not in log,
          "nothing happened: no failover started or requested in mhad's log")
    check(f"control command 'failover' from uid {uid}" in log and "refused" in log,
          "the refusal is logged with the uid")

    r = ctl("status", user=outsider)
    check(r.returncode == 2 and "Permission denied" in r.stderr,
          f"'{outsider}' (neither group): cannot connect: {r.stderr.strip()}")

    # Root gets past the permission check (then the cluster's state says no).
    r = ctl("failover")
    check("permission_denied" not in r.stderr, f"root: mhactl failover is not refused for permission: {r.stderr.strip()}")

    run(["usermod", "-aG", admin_group, reader])
    r = ctl("maintenance", "on", "--reason", "admin now", user=reader)
    check(r.returncode == 0, f"'{reader}' in admin_group: mhactl maintenance on works")
    r = ctl("maintenance", "off", user=reader)
    check(r.returncode == 0, f"'{reader}' in admin_group: mhactl maintenance off works")
    run(["gpasswd", "-d", reader, admin_group])


def corpus_checks(mhad, ctl, corpus_path):
    with open(corpus_path, "rb") as f:
        lines = [line.rstrip(b"\n") for line in f if line.strip() and not line.startswith(b"#")]
    bad = 0
    for line in lines:
        kind, doc = send_case(mhad, line + b"\n")
        if not error_or_drop(kind, doc):
            bad += 1
            print(f"  {line[:100]!r} -> {kind} {doc}")
        elif not ctl.status_answers():
            bad += 1
            print(f"  after {line[:100]!r}: mhactl status did not answer")
    check(bad == 0, f"corpus: {len(lines)} malformed requests each get an error or a drop, status answers after each")

    rng = random.Random(10)
    garbage = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4096))).replace(b"\n", b" ")
               for _ in range(30)]
    garbage += [b"\x00" * 100, b"\xff\xfe{\"cmd\":\"status\"}", b"{\"cmd\":\"\xff\xfe\xc3\"}", b"\x1b[2J\x07",
                b"{\"cmd\":\"status\",\"id\":\"\xc3\x28\"}"]
    results = [send_case(mhad, g + b"\n") for g in garbage]
    check(all(error_or_drop(k, d) for k, d in results) and ctl.status_answers(),
          f"binary garbage: {len(garbage)} lines each get an error or a drop; status answers")

    started = time.monotonic()
    kind, doc = send_case(mhad, b"a" * (2 * 1024 * 1024))
    check(kind == "reply" and "longer than 1048576 bytes" in doc["error"]["message"] and ctl.status_answers(),
          f"2 MiB without a newline: error and drop ({time.monotonic() - started:.2f} s); status answers")
    kind, doc = send_case(mhad, b'{"cmd":"status","pad":"' + b"x" * (2 * 1024 * 1024) + b'"}\n')
    check(kind == "reply" and doc["error"]["code"] == "bad_request" and ctl.status_answers(),
          "a 2 MiB JSON request line: error and drop; status answers")
    kind, doc = send_case(mhad, b"[" * 400000 + b"]" * 400000 + b"\n")
    check(error_or_drop(kind, doc) and mhad.alive() and ctl.status_answers(),
          "400000 levels of nesting: an error; mhad lives, status answers")

    # A pipelined flood of check: at most two run, the rest are busy.
    flood = b"".join(b'{"id":%d,"cmd":"check"}\n' % i for i in range(50))
    s = connect(mhad.socket)
    s.sendall(flood)
    s.settimeout(60)
    data = b""
    try:
        while data.count(b"\n") < 50:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    s.close()
    replies = [json.loads(l) for l in data.split(b"\n") if l.strip()]
    finals = [r for r in replies if "event" not in r]
    busy = [r for r in finals if r.get("error", {}).get("code") == "busy"]
    check(len(busy) >= 48 and ctl.status_answers(),
          f"50 pipelined checks: {len(busy)} busy, {len(finals) - len(busy)} ran; status answers")

    # 300 idle connections: the socket's limit is 256; the longest idle ones
    # are evicted with an error, and mhactl still gets in.
    idle = [connect(mhad.socket) for _ in range(300)]
    time.sleep(0.5)
    check(ctl.status_answers(), "300 idle connections open: mhactl status answers")
    evicted = 0
    for s in idle:
        s.setblocking(False)
        try:
            data = s.recv(4096)
            if data == b"" or b'"busy"' in data:
                evicted += 1
        except BlockingIOError:
            pass
        except ConnectionResetError:
            evicted += 1
    for s in idle:
        s.close()
    check(evicted >= 300 - 256, f"300 idle connections: {evicted} evicted with an error (at least 45 expected)")

    # One byte every 0.5 s: dropped 10 s after the first byte, not held.
    s = connect(mhad.socket)
    started = time.monotonic()
    dropped = False
    for byte in b'{"id":1,"cmd":"status","pad":"' + b"x" * 100:
        try:
            s.send(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            dropped = True
            break
        if not ctl.status_answers():
            break
        time.sleep(0.5)
        if time.monotonic() - started > 20:
            break
    kind, doc = outcome(s, 5)
    s.close()
    elapsed = time.monotonic() - started
    check((dropped or kind in ("reply", "closed")) and elapsed < 15 and
          (kind != "reply" or "not finished within 10000 ms" in doc["error"]["message"]),
          f"byte-dribbling client dropped after {elapsed:.1f} s; status answered throughout")
    check(mhad.alive() and ctl.status_answers(), "mhad is still running and answers")


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    mhad_bin, mhactl_bin, corpus = (os.path.abspath(a) for a in sys.argv[1:])
    if os.geteuid() != 0:
        print("not root: cannot create the test's users and groups, skipping")
        return 77
    for tool in ("useradd", "userdel", "groupadd", "groupdel", "usermod", "gpasswd", "setpriv"):
        if shutil.which(tool) is None:
            print(f"{tool} not found, skipping")
            return 77
    tag = str(os.getpid())
    read_group, admin_group, reader, outsider = (f"mhadtr{tag}", f"mhadta{tag}", f"mhadtu{tag}", f"mhadto{tag}")
    directory = tempfile.mkdtemp(prefix="mhad-socket-test-")
    os.chmod(directory, 0o755)  # the test users reach the socket; its own mode decides
    mhad = None
    try:
        for group in (read_group, admin_group):
            run(["groupadd", "--system", group]).check_returncode()
        run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--gid", read_group,
             reader]).check_returncode()
        run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group",
             outsider]).check_returncode()
        mhad = Mhad(mhad_bin, directory, read_group, admin_group)
        ctl = Ctl(mhactl_bin, mhad)
        deadline = time.monotonic() + 15
        while not (os.path.exists(mhad.socket) and ctl.status_answers()):
            if time.monotonic() > deadline or not mhad.alive():
                print(mhad.log_text())
                check(False, "mhad started and answers")
                return 1
            time.sleep(0.2)
        access_checks(mhad, ctl, reader, admin_group, outsider)
        corpus_checks(mhad, ctl, corpus)
        log = mhad.log_text()
        check("corpus-s3cret" not in log and "corpus-r3pl" not in log, "no password in mhad's log")
        code = mhad.stop()
        check(code == 0, f"mhad stopped cleanly on SIGTERM (exit {code})")
    finally:
        if mhad is not None:
            mhad.stop()
            if FAILURES:
                print("--- mhad log (last 60 lines) ---")
                print("\n".join(mhad.log_text().splitlines()[-60:]))
        for user in (reader, outsider):
            run(["userdel", user])
        for group in (read_group, admin_group, outsider):
            run(["groupdel", group])
        shutil.rmtree(directory, ignore_errors=True)
    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
