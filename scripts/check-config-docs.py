#!/usr/bin/env python3
"""Keeps docs/configuration.md in step with the configuration.

Every key of config/*.toml and every field of the `Settings` tree in src/host/config/ must have a
row in docs/configuration.md (`section.key`), and each row's environment variable must be the
one the loader reads (FLIGHTLINE__<SECTION>__<KEY>, or DATABASE_URL / REDIS_URL).
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "configuration.md"
# The `Settings` tree and its sections live in the module's files (mod.rs holds the types).
CONFIG = ROOT / "src" / "host" / "config"
SPECIAL_ENV = {"database.url": "DATABASE_URL", "redis.url": "REDIS_URL"}


def documented() -> dict[str, str]:
    """`section.key` -> the env column of its row."""
    rows = {}
    for line in DOC.read_text().splitlines():
        m = re.match(r"^\| `([a-z0-9_]+\.[a-z0-9_]+)`[^|]*\| ([^|]*)\|", line)
        if m:
            rows[m.group(1)] = m.group(2).strip()
    return rows


def toml_keys() -> dict[str, str]:
    keys = {}
    for path in sorted((ROOT / "config").glob("*.toml")):
        for section, table in tomllib.loads(path.read_text()).items():
            if isinstance(table, dict):
                for key in table:
                    keys.setdefault(f"{section}.{key}", path.name)
    return keys


def struct_fields(src: str, name: str) -> list[str]:
    m = re.search(rf"pub struct {name}\s*\{{(.*?)\n\}}", src, re.S)
    if not m:
        return []
    body = m.group(1)
    fields, skip = [], False
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("#[serde(skip"):
            skip = True
            continue
        f = re.match(r"pub ([a-z_][a-z0-9_]*):", line)
        if f:
            if not skip:
                fields.append(f.group(1))
            skip = False
    return fields


def settings_keys() -> dict[str, str]:
    src = "\n".join(p.read_text() for p in sorted(CONFIG.glob("*.rs")))
    m = re.search(r"pub struct Settings\s*\{(.*?)\n\}", src, re.S)
    if not m:
        sys.exit("check-config-docs: no `pub struct Settings` in src/host/config/mod.rs")
    keys = {}
    skip = False
    for line in m.group(1).splitlines():
        line = line.strip()
        if line.startswith("#[serde(skip"):
            skip = True
            continue
        f = re.match(r"pub ([a-z_]+): ([A-Za-z]+),", line)
        if f:
            section, ty = f.groups()
            if not skip:
                for field in struct_fields(src, ty):
                    keys[f"{section}.{field}"] = f"src/host/config/mod.rs {ty}"
            skip = False
    return keys


def main() -> int:
    rows = documented()
    problems = []
    wanted = {**toml_keys(), **settings_keys()}
    for key, origin in sorted(wanted.items()):
        if key not in rows:
            problems.append(
                f"`{key}` ({origin}) has no row in docs/configuration.md: add "
                f"| `{key}` | `{SPECIAL_ENV.get(key, 'FLIGHTLINE__' + key.replace('.', '__').upper())}` | default | meaning |"
            )
    for key, env in sorted(rows.items()):
        expected = "FLIGHTLINE__" + key.replace(".", "__").upper()
        names = re.findall(r"`([A-Z0-9_]+)`", env)
        if key in SPECIAL_ENV:
            ok = SPECIAL_ENV[key] in names
        else:
            ok = expected in names
        if not ok:
            problems.append(f"docs/configuration.md: `{key}` should name `{SPECIAL_ENV.get(key, expected)}`, not {env!r}")
        if key not in wanted:
            problems.append(f"docs/configuration.md documents `{key}`, which is no setting (src/host/config/)")
    for p in problems:
        print(f"check-config-docs: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check-config-docs: {len(rows)} settings documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
