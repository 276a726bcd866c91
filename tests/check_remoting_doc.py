#!/usr/bin/env python3
"""Proves that the examples of docs/remoting.md are true.

    check_remoting_doc.py --doc DOC --root SRC --coil COIL --samples DIR
                          --work WORK --cc CC --includes 'dir;...' --libs 'lib;...'
                          [--sanitize]

The document is read top to bottom and every fenced block is checked as the
HTML comment right before it (invisible when the Markdown is rendered) says.
Commands run in a scratch tree WORK laid out like a build tree, so they are
written as a user types them in the source tree after building:

    WORK/build/coil                          -> COIL
    WORK/build/samples/birthday/libbirthday.so, client, invoke -> DIR (built)
    WORK/build/samples/birthday/*.yaml       the sample's context files

Block directives:

  <!-- file: PATH -->      the block is the whole file PATH (relative to SRC)
  <!-- excerpt: PATH -->   the block is a run of whole lines of PATH
  <!-- write: PATH -->     the block is written to WORK/PATH
  <!-- context: PATH -->   the same, and `build/coil check PATH` succeeds
                           silently (PATH is a context file)
  <!-- c: module PATH -->  the block is C: compiled under strict flags, with
                           the code `coil gen` writes for the sample's
                           interface, into the shared module WORK/PATH
  <!-- c: program PATH [with IFACE] -->
                           the same, into the program WORK/PATH; with IFACE
                           (an interface file written earlier, WORK-relative),
                           with the code generated from it instead
  <!-- run -->             a console session: every `$ ` command (with `\`
                           continuations and here-documents) is run by bash
                           in WORK, standard error merged into standard
                           output; what follows it up to the next `$ ` is
                           what it must print (`$ echo $?` prints the
                           previous command's exit status)
  <!-- run: server -->     the block's one command is started in the
                           background and becomes the running server; the
                           lines shown are the first it prints: lines that
                           start with a time stamp on standard error, the
                           others on standard output
  <!-- stop: INT|TERM -->  the running server gets that signal and must exit
                           0; the block shows what it printed since it
                           started, after the lines already compared (a `$ `
                           line or a `^C` is the user's doing, not output)
  <!-- python: run -->     the block is run by python3 in WORK; when the next
                           block is marked <!-- output -->, that is what it
                           must print
  <!-- unchecked: WHY -->  nothing to check (say why)

Hidden steps, HTML comments on their own:

  <!-- check: start COMMAND -->  starts COMMAND as the running server (its
                                 first line of output names its port)
  <!-- check: stop -->           stops the running server (SIGTERM)

Ports. The document always says 127.0.0.1:7766. Before anything runs, each
7766 in the command and in the files written from the document (and in the
sample's context files) becomes: 0 when the command starts a server (it
picks a free port), the port of the running server when there is one, and
otherwise a port on which nothing listens. In what a command prints, the
port it was given reads as 7766 again.

Comparisons ignore trailing spaces and blank lines, `\\r`, `Date:` header
lines, the time of day in `coil run`'s log (2026-05-04T10:15:00) and the
milliseconds in libcurl's messages ("after 0 ms"). When the documented
output is JSON, the printed output must be the same JSON (key order and
layout aside).

Every yaml, c, console, sh and python block needs a directive; other blocks
(text, json, http) may go without. Exits 0 when everything holds, 1 with
the problems listed (file:line: ...), 77 (skipped) when curl is missing.
"""
import argparse
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time

DOC_PORT = "7766"
STRICT = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wstrict-prototypes",
          "-Wmissing-prototypes", "-pedantic"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
            "-fno-omit-frame-pointer"]
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
COMMAND_TIMEOUT = 60      # seconds: a command that should end but does not
LINE_TIMEOUT = 30         # seconds: a server that should print but does not
NEEDS_DIRECTIVE = {"yaml", "c", "console", "sh", "python"}


class Problem(Exception):
    pass


# ---- The document ---------------------------------------------------------------

class Block:
    def __init__(self, line, lang, body, directive):
        self.line, self.lang, self.body, self.directive = line, lang, body, directive


def parse(text):
    """Blocks and hidden steps, in document order: ('block', Block) and
    ('step', line, text)."""
    items = []
    lines = text.split("\n")
    pending = None          # (line, text) of a comment that may be a directive
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^<!--\s*(.*?)\s*-->\s*$", line)
        if m:
            if m.group(1).startswith("check:"):
                items.append(("step", i + 1, m.group(1)[len("check:"):].strip()))
            else:
                pending = (i + 1, m.group(1))
            i += 1
            continue
        if line.startswith("```"):
            lang = line[3:].strip()
            start = i + 1
            j = start
            while j < len(lines) and lines[j] != "```":
                j += 1
            if j == len(lines):
                raise Problem(f"{i + 1}: a block is not closed")
            items.append(("block", Block(i + 1, lang, "\n".join(lines[start:j]),
                                         pending[1] if pending else "")))
            pending = None
            i = j + 1
            continue
        if line.strip():
            pending = None
        i += 1
    return items


def session(body):
    """A console session as [(command, expected output)]."""
    out = []
    lines = body.split("\n")
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise Problem(f"output before the first command: {lines[i]!r}")
        cmd = [lines[i][2:]]
        heredoc = re.search(r"<<-?\s*'?(\w+)'?", lines[i])
        while cmd[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd.append(lines[i])
            heredoc = heredoc or re.search(r"<<-?\s*'?(\w+)'?", lines[i])
        if heredoc:
            end = heredoc.group(1)
            while i + 1 < len(lines):
                i += 1
                cmd.append(lines[i])
                if lines[i] == end:
                    break
        i += 1
        expected = []
        while i < len(lines) and not lines[i].startswith("$ "):
            expected.append(lines[i])
            i += 1
        out.append(("\n".join(cmd), "\n".join(expected)))
    return out


# ---- Comparing ----------------------------------------------------------------------

def normal(text):
    text = text.replace("\r\n", "\n").replace("\r", "")
    text = STAMP.sub("<time>", text)
    text = re.sub(r"after \d+ ms", "after <n> ms", text)
    lines = [l.rstrip() for l in text.split("\n") if not l.startswith("Date: ")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def as_json(text):
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except ValueError:
        return None


def differ(expected, actual):
    """None when `actual` is what `expected` documents, else an explanation."""
    e, a = normal(expected), normal(actual)
    ej = as_json(e) if e else None
    if ej is not None:
        aj = as_json(a)
        if aj == ej:
            return None
        return f"it prints:\n{a}\nthe document says (as JSON):\n{e}"
    if e == a:
        return None
    return f"it prints:\n{a}\nthe document says:\n{e}"


# ---- The checker ----------------------------------------------------------------------

class Server:
    """A background process whose output is read line by line, with a deadline."""

    def __init__(self, command, cwd, env, line):
        self.command, self.line = command, line
        self.coil = command.split()[0].endswith("coil")
        self.proc = subprocess.Popen(["bash", "-c", "exec " + command], cwd=cwd, env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.buf = {"out": b"", "err": b""}
        self.eof = {"out": False, "err": False}
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ, "out")
        self.sel.register(self.proc.stderr, selectors.EVENT_READ, "err")

    def _pump(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        for key, _ in self.sel.select(left):
            data = os.read(key.fileobj.fileno(), 65536)
            if data:
                self.buf[key.data] += data
            else:
                self.eof[key.data] = True
                self.sel.unregister(key.fileobj)
        return True

    def lines(self, stream, n):
        """The next n lines of a stream ("out" or "err"); fewer at its end."""
        deadline = time.monotonic() + LINE_TIMEOUT
        while self.buf[stream].count(b"\n") < n and not self.eof[stream]:
            if not self._pump(deadline):
                raise Problem(f"`{self.command}` printed no more than "
                              f"{self.buf[stream].decode(errors='replace')!r} "
                              f"in {LINE_TIMEOUT} s")
        parts = self.buf[stream].split(b"\n")
        got, rest = parts[:n], parts[n:]
        self.buf[stream] = b"\n".join(rest)
        return [g.decode(errors="replace") for g in got]

    def stop(self, sig):
        """Signals, waits; returns (exit status, the rest of stdout, of stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Problem(f"`{self.command}` did not stop within {COMMAND_TIMEOUT} s")
        deadline = time.monotonic() + LINE_TIMEOUT
        while not (self.eof["out"] and self.eof["err"]) and self._pump(deadline):
            pass
        self.sel.close()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return (self.proc.returncode, self.buf["out"].decode(errors="replace"),
                self.buf["err"].decode(errors="replace"))


def closed_port():
    """A port on which nothing listens (as far as anyone can know)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Checker:
    def __init__(self, args):
        self.a = args
        self.work = os.path.abspath(args.work)
        self.problems = []
        self.counts = {}
        self.templates = {}        # WORK-relative path -> text with 7766 in it
        self.server = None
        self.start_failed = False  # the last server did not start
        self.port = None           # what 7766 means now
        self.gen_dirs = {}
        self.env = dict(os.environ)
        for v in ("VERSES", "BIRTHDAY_LISTEN", "BIRTHDAY_URL", "http_proxy", "HTTP_PROXY",
                  "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            self.env.pop(v, None)
        self.env.update(no_proxy="*", NO_PROXY="*", LC_ALL="C")
        self.includes = [d for d in args.includes.split(";") if d]
        self.libs = [l for l in args.libs.split(";") if l]
        self.rpath = sorted({"-Wl,-rpath," + os.path.dirname(l) for l in self.libs
                             if os.path.dirname(l)})

    def count(self, kind):
        self.counts[kind] = self.counts.get(kind, 0) + 1

    # -- the scratch tree

    def setup(self):
        shutil.rmtree(self.work, ignore_errors=True)
        birthday = os.path.join(self.work, "build", "samples", "birthday")
        os.makedirs(birthday)
        os.symlink(self.a.coil, os.path.join(self.work, "build", "coil"))
        for f in ("libbirthday.so", "client", "invoke"):
            target = os.path.join(self.a.samples, f)
            if not os.path.exists(target):
                raise Problem(f"the sample is not built: no {target}")
            os.symlink(target, os.path.join(birthday, f))
        src = os.path.join(self.a.root, "samples", "birthday")
        for f in sorted(os.listdir(src)):
            if f.endswith(".yaml") and f != "birthday.yaml":
                with open(os.path.join(src, f)) as fh:
                    self.templates[f"build/samples/birthday/{f}"] = fh.read()
        gen = os.path.join(self.work, "gen", "birthday")
        self.run_tool([self.a.coil, "gen", os.path.join(src, "birthday.yaml"), "-o", gen])
        self.gen_dirs[None] = gen

    def run_tool(self, argv, cwd=None):
        r = subprocess.run(argv, cwd=cwd or self.work, env=self.env, capture_output=True,
                           text=True, timeout=COMMAND_TIMEOUT)
        if r.returncode != 0:
            raise Problem(f"{' '.join(argv)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        return r

    def mapped(self, text, port):
        return re.sub(r"(?<![0-9])" + DOC_PORT + r"(?![0-9])", str(port), text)

    def materialize(self, port):
        """Writes every file from the document (and the sample's contexts)
        with 7766 meaning `port`; returns `port`."""
        for path, text in self.templates.items():
            full = os.path.join(self.work, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as fh:
                fh.write(self.mapped(text, port))
        return port

    def now_port(self):
        return self.port if self.port is not None else closed_port()

    def unmapped(self, text, port):
        return re.sub(r"(?<![0-9])" + str(port) + r"(?![0-9])", DOC_PORT, text)

    # -- servers

    def start(self, command, line):
        if self.server:
            raise Problem(f"a server is already running (`{self.server.command}`, "
                          f"line {self.server.line})")
        self.materialize(0)
        self.start_failed = False
        self.server = Server(self.mapped(command, 0), self.work, self.env, line)
        return self.server

    def failed(self, s):
        """The server `s` just started printed no first line: it is stopped,
        and what it said reported (a later stop step then has nothing to do)."""
        self.stop(signal.SIGTERM, check=True)
        self.start_failed = True
        raise Problem(f"`{s.command}` exited {s.proc.returncode} without printing its URL:\n"
                      f"{s.buf['out'].decode(errors='replace')}"
                      f"{s.buf['err'].decode(errors='replace')}")

    def learn_port(self, first_line):
        m = re.search(r"127\.0\.0\.1:(\d+)", first_line)
        if not m:
            raise Problem(f"the server's first line names no port on 127.0.0.1: {first_line!r}")
        self.port = int(m.group(1))

    def stop(self, sig, check):
        s, self.server = self.server, None
        port, self.port = self.port, None
        rc, out, err = s.stop(sig)
        if check is not None:
            return rc, self.unmapped(out, port), self.unmapped(err, port)
        if s.coil and rc != 0:
            raise Problem(f"`{s.command}` exited {rc} after SIGTERM:\n{out}{err}")
        return rc, out, err

    # -- directives

    def check_block(self, b, blocks, index):
        d = b.directive
        if d.startswith("file: ") or d.startswith("excerpt: "):
            kind, path = d.split(": ", 1)
            full = os.path.join(self.a.root, path)
            if not os.path.exists(full):
                raise Problem(f"no such file: {path}")
            with open(full) as fh:
                content = fh.read()
            if kind == "file" and b.body + "\n" != content:
                raise Problem(f"the block is not {path} (they differ)")
            if kind == "excerpt" and ("\n" + b.body + "\n") not in ("\n" + content):
                raise Problem(f"the block is not a run of whole lines of {path}")
            self.count(kind)
        elif d.startswith("write: ") or d.startswith("context: "):
            kind, path = d.split(": ", 1)
            self.templates[path] = b.body + "\n"
            if kind == "context":
                self.materialize(self.now_port())
                r = subprocess.run([self.a.coil, "check", path], cwd=self.work, env=self.env,
                                   capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
                if r.returncode != 0 or r.stderr:
                    raise Problem(f"coil check {path} fails ({r.returncode}):\n{r.stderr}")
            self.count(kind)
        elif re.match(r"^c: (module|program) ", d):
            m = re.match(r"^c: (module|program) (\S+)(?: with (\S+))?$", d)
            if not m:
                raise Problem(f"cannot read the directive '{d}'")
            self.compile(b, m.group(1), m.group(2), m.group(3))
            self.count("c " + m.group(1))
        elif d == "run":
            self.run_session(b)
            self.count("console")
        elif d == "run: server":
            cmds = session(b.body)
            if len(cmds) != 1:
                raise Problem("a server block has exactly one command")
            cmd, expected = cmds[0]
            s = self.start(cmd, b.line)
            want_err = [l for l in expected.split("\n") if STAMP.match(l)]
            want_out = [l for l in expected.split("\n") if l and not STAMP.match(l)]
            out = s.lines("out", len(want_out))
            if not out or not out[0]:
                self.failed(s)
            self.learn_port(out[0])
            err = s.lines("err", len(want_err))
            for want, got in ((want_out, out), (want_err, err)):
                why = differ("\n".join(want), self.unmapped("\n".join(got), self.port))
                if why:
                    raise Problem(f"`{cmd}`: {why}")
            self.count("server")
        elif d.startswith("stop: "):
            sig = {"INT": signal.SIGINT, "TERM": signal.SIGTERM}.get(d[6:])
            if sig is None or not self.server:
                raise Problem(f"'{d}': no server running, or not INT or TERM")
            rc, out, err = self.stop(sig, check=True)
            if rc != 0:
                raise Problem(f"the server exited {rc}:\n{out}{err}")
            want = []
            for l in b.body.split("\n"):
                if l.startswith("$ ") or l == "^C":
                    continue
                want.append(l[2:] if l.startswith("^C") else l)
            why = differ("\n".join(want), out + err)
            if why:
                raise Problem(f"after SIG{d[6:]}: {why}")
            self.count("stop")
        elif d == "python: run":
            port = self.materialize(self.now_port())
            path = os.path.join(self.work, f"block-{b.line}.py")
            with open(path, "w") as fh:
                fh.write(self.mapped(b.body, port) + "\n")
            r = subprocess.run([self.a.python, path], cwd=self.work, env=self.env,
                               capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
            if r.returncode != 0:
                raise Problem(f"the program exits with {r.returncode}:\n{r.stdout}{r.stderr}")
            nxt = blocks[index + 1] if index + 1 < len(blocks) else None
            if nxt and nxt.directive == "output":
                nxt.consumed = True
                why = differ(nxt.body, self.unmapped(r.stdout, port))
                if why:
                    raise Problem(why)
            self.count("python")
        elif d.startswith("unchecked: "):
            self.count("unchecked")
        elif d == "output":
            if not getattr(b, "consumed", False):
                raise Problem("<!-- output --> follows no example that produces it")
        elif d:
            raise Problem(f"cannot read the directive '{d}'")
        elif b.lang in NEEDS_DIRECTIVE:
            raise Problem(f"a {b.lang} block needs a directive "
                          "(see tests/check_remoting_doc.py)")

    def compile(self, b, kind, path, iface):
        if iface not in self.gen_dirs:
            self.materialize(self.now_port())
            gen = os.path.join(self.work, "gen", f"block-{b.line}")
            self.run_tool([self.a.coil, "gen", os.path.join(self.work, iface), "-o", gen])
            self.gen_dirs[iface] = gen
        gen = self.gen_dirs[iface]
        source = os.path.join(self.work, f"block-{b.line}.c")
        with open(source, "w") as fh:
            fh.write(b.body + "\n")
        out = os.path.join(self.work, path)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        generated = [os.path.join(gen, f) for f in sorted(os.listdir(gen)) if f.endswith(".c")]
        argv = [self.a.cc] + STRICT + (SANITIZE if self.a.sanitize else [])
        argv += (["-shared", "-fPIC"] if kind == "module" else [])
        argv += ["-I" + d for d in self.includes] + ["-I" + gen, source] + generated
        argv += ["-o", out] + self.libs + self.rpath
        r = subprocess.run(argv, cwd=self.work, env=self.env, capture_output=True, text=True,
                           timeout=COMMAND_TIMEOUT * 2)
        if r.returncode != 0:
            raise Problem(f"the block does not compile:\n{r.stderr}")

    def run_session(self, b):
        rc = 0
        for cmd, expected in session(b.body):
            if cmd.strip() == "echo $?":
                actual = f"{rc}\n"
            else:
                port = self.materialize(self.now_port())
                try:
                    r = subprocess.run(["bash", "-c", self.mapped(cmd, port)], cwd=self.work,
                                       env=self.env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       timeout=COMMAND_TIMEOUT)
                except subprocess.TimeoutExpired:
                    raise Problem(f"`{cmd}` did not end within {COMMAND_TIMEOUT} s")
                rc = r.returncode
                actual = self.unmapped(r.stdout.decode(errors="replace"), port)
            why = differ(expected, actual)
            if why:
                raise Problem(f"`{cmd}`: {why}")

    def step(self, line, text):
        if text.startswith("start "):
            s = self.start(text[len("start "):], line)
            first = s.lines("out", 1)
            if not first or not first[0]:
                self.failed(s)
            self.learn_port(first[0])
        elif text == "stop":
            if not self.server and self.start_failed:
                self.start_failed = False      # reported already
                return
            if not self.server:
                raise Problem("'check: stop': no server is running")
            self.stop(signal.SIGTERM, check=None)
        else:
            raise Problem(f"cannot read the step 'check: {text}'")
        self.count("hidden step")

    def run(self):
        with open(self.a.doc) as fh:
            items = parse(fh.read())
        shown = os.path.relpath(self.a.doc, self.a.root)
        blocks = [it[1] for it in items if it[0] == "block"]
        if not blocks:
            raise Problem(f"{shown} has no code blocks")
        self.setup()
        index = {id(b): i for i, b in enumerate(blocks)}
        try:
            for it in items:
                at = it[1].line if it[0] == "block" else it[1]
                try:
                    if it[0] == "block":
                        self.check_block(it[1], blocks, index[id(it[1])])
                    else:
                        self.step(it[1], it[2])
                except Problem as e:
                    self.problems.append(f"{shown}:{at}: {e}")
                    print(f"{shown}:{at}: {e}", file=sys.stderr)
                except subprocess.TimeoutExpired as e:
                    self.problems.append(f"{shown}:{at}: {e}")
                    print(f"{shown}:{at}: {e}", file=sys.stderr)
            if self.server:
                line = self.server.line
                self.stop(signal.SIGTERM, check=True)
                self.problems.append(f"{shown}:{line}: the server it starts is never stopped")
        finally:
            if self.server:
                self.server.proc.kill()
                self.server.proc.wait()
        summary = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items()))
        print(f"{shown}: {len(blocks)} blocks checked: {summary}")
        if self.problems:
            print(f"{len(self.problems)} problem(s) in {shown}", file=sys.stderr)
            return 1
        return 0


def main():
    p = argparse.ArgumentParser()
    for opt in ("doc", "root", "coil", "samples", "work", "cc"):
        p.add_argument("--" + opt, required=True)
    p.add_argument("--includes", default="")
    p.add_argument("--libs", default="")
    p.add_argument("--sanitize", default="OFF")
    args = p.parse_args()
    args.sanitize = args.sanitize.upper() in ("ON", "1", "TRUE", "YES")
    args.python = sys.executable
    if not shutil.which("curl"):
        print("the curl command is not installed: skipping", file=sys.stderr)
        return 77
    try:
        return Checker(args).run()
    except Problem as e:
        print(f"{args.doc}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
