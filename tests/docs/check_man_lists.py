#!/usr/bin/env python3
"""mhad.toml(5) documents exactly the config keys of the parser's tables, each
in the section for where it may be written and with its default, and each
literal default is the one `mhad --check-config` shows for a minimal
configuration; mhactl(1) documents exactly mhactl's commands. The code's
lists come from mha_doc_lists (tests/docs/doc_lists.cpp), which prints the
tables themselves.

Usage: check_man_lists.py DOC_LISTS_BINARY DOCS_MAN_DIR MHAD_BINARY
"""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# Section of mhad.toml.5.scd -> the kind doc_lists prints for its keys.
KEY_SECTIONS = {
    "DAEMON KEYS": "daemon",
    "CLUSTER KEYS": "cluster",
    "SERVER KEYS": "server",
    "STRUCTURE": "structure",
}
KEY_LINE = re.compile(r"^\*([a-z_.]+)\* = ")


def entries(path, wanted_sections, line_pattern, kind_of_section):
    """(kind, name) of each entry line, and the text of its indented body."""
    found = {}
    problems = []
    section = None
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if line.startswith("# "):
            section = line[2:].strip()
            continue
        match = line_pattern.match(line)
        if not match:
            continue
        if section not in wanted_sections:
            problems.append(f"{path.name}:{number}: '{match.group(1)}' is documented outside {sorted(wanted_sections)}")
            continue
        body = []
        for following in lines[number:]:
            if not following.startswith("\t"):
                break
            body.append(following.strip())
        key = (kind_of_section(section), match.group(1))
        if key in found:
            problems.append(f"{path.name}:{number}: '{key[1]}' documented twice in {section}")
        found[key] = " ".join(body)
    return found, problems


def compare(what, code, page, page_name):
    problems = []
    for kind, name in sorted(code - page):
        label = f"{kind} {what}".strip()
        problems.append(f"{page_name} does not document the {label} '{name}' (it is in the code)")
    for kind, name in sorted(page - code):
        label = f"{kind} {what}".strip()
        problems.append(f"{page_name} documents the {label} '{name}', which the code does not have")
    return problems


# A literal default as the page writes it: "text", [list], true/false, a number.
DEFAULT = re.compile(r'Default: ("[^"]*"|\[[^\]]*\]|true|false|[0-9]+)(?=[ .;,)]|$)')


def effective_defaults(mhad):
    """{(kind, key): value} from `mhad --check-config` of one cluster with one server."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "mhad.toml").write_text("")
        Path(tmp, "clusters.d").mkdir()
        Path(tmp, "clusters.d", "c.toml").write_text('[[server]]\nname = "a"\nhost = "h"\n')
        out = subprocess.run([mhad, "--check-config", "--config", str(Path(tmp, "mhad.toml"))], check=True,
                             capture_output=True, text=True).stdout
    values, kind = {}, None
    for line in out.splitlines():
        kind = {"[daemon]": "daemon", "[cluster.c]": "cluster", "[[cluster.c.server]]": "server"}.get(line, kind)
        if " = " in line and not line.startswith("#"):
            key, value = line.split(" = ", 1)
            values[(kind, key)] = value
    return values


def check_defaults(keys, mhad):
    problems = []
    shown = effective_defaults(mhad)
    compared = 0
    for (kind, name), body in sorted(keys.items()):
        match = DEFAULT.search(body)
        if kind == "structure" or not match:
            continue
        compared += 1
        if (kind, name) not in shown:
            problems.append(f"mhad --check-config does not show the {kind} key '{name}'")
        elif shown[(kind, name)] != match.group(1):
            problems.append(f"mhad.toml(5) gives the {kind} key '{name}' the default {match.group(1)}, "
                            f"mhad --check-config shows {shown[(kind, name)]}")
    if compared < 50:
        problems.append(f"only {compared} literal defaults found in mhad.toml(5); is the pattern still right?")
    return problems


def main():
    lists, man_dir, mhad = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    output = subprocess.run([lists], check=True, capture_output=True, text=True).stdout
    code = {tuple(line.split(" ", 1)) for line in output.splitlines() if line}
    code_keys = {entry for entry in code if entry[0] != "command"}
    code_commands = {entry for entry in code if entry[0] == "command"}
    if len(code_keys) < 40 or len(code_commands) < 5:
        print(f"check_man_lists: mha_doc_lists printed only {len(code_keys)} keys and {len(code_commands)} commands",
              file=sys.stderr)
        return 1

    keys, problems = entries(man_dir / "mhad.toml.5.scd", KEY_SECTIONS, KEY_LINE, KEY_SECTIONS.get)
    problems += compare("key", code_keys, set(keys), "mhad.toml(5)")
    for (kind, name), body in sorted(keys.items()):
        if kind != "structure" and not re.search(r"Default|required|Overrides", body):
            problems.append(f"mhad.toml(5): the {kind} key '{name}' has no default")
        if kind in ("daemon", "cluster") and "MHA" not in body:
            problems.append(f"mhad.toml(5): the {kind} key '{name}' does not name its MHA equivalent (or 'MHA: none')")

    problems += check_defaults(keys, mhad)

    commands, more = entries(man_dir / "mhactl.1.scd", {"COMMANDS"}, re.compile(r"^## ([a-z-]+)$"),
                             lambda section: "command")
    problems += more + compare("", code_commands, set(commands), "mhactl(1)")

    for problem in problems:
        print(f"check_man_lists: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_man_lists: {len(code_keys)} keys and {len(code_commands)} commands documented, none extra")
    return 0


if __name__ == "__main__":
    sys.exit(main())
