"""A small Go text/template renderer with the Helm (sprig) functions the Flightline chart uses.

No helm binary can be installed here, so CI renders the chart with this instead
(scripts/check-helm.py). It follows Go's semantics where the chart depends on them: whitespace
trimming ({{- -}}), truthiness, variable scoping, `range` over sorted map keys, pipelines passing
the previous value as the last argument, numbers from values.yaml being float64 (so a number
printed without `int` looks as Helm prints it, e.g. 1e+06), and a missing map key yielding nil
while a field of nil is an error. An unknown function or construct is an error, never ignored:
extend this file when the chart needs more.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from decimal import Decimal
from typing import Any

import yaml


class TemplateError(Exception):
    pass


# --------------------------------------------------------------------------- values, formatting


def helm_numbers(value: Any) -> Any:
    """Helm reads values through JSON: every number becomes a float64."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {k: helm_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [helm_numbers(v) for v in value]
    return value


def go_float(f: float) -> str:
    """Go's %v for a float64: the shortest digits that round-trip, in %e form when the decimal
    exponent is below -4 or at least 6 (so 1048576 prints as 1.048576e+06, as Helm does)."""
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if math.isnan(f):
        return "NaN"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign, digit_tuple, exp = Decimal(repr(f)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    e10 = len(digits) + exp - 1
    prefix = "-" if sign else ""
    if e10 < -4 or e10 >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if e10 < 0 else '+'}{abs(e10):02d}"
    if exp >= 0:
        return prefix + digits + "0" * exp
    point = len(digits) + exp
    if point > 0:
        return f"{prefix}{digits[:point]}.{digits[point:]}"
    return f"{prefix}0.{'0' * -point}{digits}"


def go_str(v: Any) -> str:
    """Go's fmt %v as Helm prints a value."""
    if v is None:
        return "<no value>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "[" + " ".join(go_str(x) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_str(v[k])}" for k in sorted(v)) + "]"
    raise TemplateError(f"cannot print {type(v).__name__}")


def truthy(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    if isinstance(v, (str, list, dict)):
        return len(v) > 0
    return True


def plain(v: Any) -> Any:
    """Floats with integral values back to ints, for JSON and YAML output (Go prints 5, not 5.0)."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def kind_of(v: Any) -> str:
    if v is None:
        return "invalid"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, int):
        return "int"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "slice"
    if isinstance(v, dict):
        return "map"
    return type(v).__name__


def go_sprintf(fmt: str, args: list[Any]) -> str:
    out, i, n = [], 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        i += 1
        if i >= len(fmt):
            raise TemplateError("printf: trailing %")
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if n >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        a = args[n]
        n += 1
        if verb in "sv":
            out.append(go_str(a))
        elif verb == "d":
            if isinstance(a, bool) or not isinstance(a, (int, float)) or (
                isinstance(a, float) and not a.is_integer()
            ):
                raise TemplateError(f"printf %d of {kind_of(a)} {a!r}: use int")
            if isinstance(a, float):
                # Go prints a float64 under %d as %!d(float64=...): the chart must cast.
                raise TemplateError(f"printf %d of float64 {go_float(a)}: use int")
            out.append(str(a))
        elif verb == "q":
            out.append(json.dumps(go_str(a), ensure_ascii=False))
        else:
            raise TemplateError(f"printf: unsupported verb %{verb}")
    return "".join(out)


def to_yaml(v: Any) -> str:
    if v is None:
        return "null"
    text = yaml.safe_dump(plain(v), default_flow_style=False, sort_keys=True, allow_unicode=True)
    if text.endswith("...\n"):
        text = text[: -len("...\n")]
    return text.rstrip("\n")


# --------------------------------------------------------------------------- lexing and parsing

ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)


class Node:
    pass


class Text(Node):
    def __init__(self, text: str):
        self.text = text


class Action(Node):
    def __init__(self, pipe: "Pipeline", line: int):
        self.pipe, self.line = pipe, line


class If(Node):
    def __init__(self, branches, otherwise, line):
        self.branches, self.otherwise, self.line = branches, otherwise, line


class Range(Node):
    def __init__(self, pipe, body, otherwise, line):
        self.pipe, self.body, self.otherwise, self.line = pipe, body, otherwise, line


class With(Node):
    def __init__(self, pipe, body, otherwise, line):
        self.pipe, self.body, self.otherwise, self.line = pipe, body, otherwise, line


class Template(Node):
    def __init__(self, name, pipe, line):
        self.name, self.pipe, self.line = name, pipe, line


class Pipeline:
    def __init__(self, decl: list[str], assign: bool, cmds: list[list[Any]]):
        self.decl, self.assign, self.cmds = decl, assign, cmds


TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<raw>`[^`]*`)
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<decl>:=)
    | (?P<op>[()|,=])
    | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.X,
)


def tokenize(src: str, line: int) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    src = src.rstrip()
    while pos < len(src):
        m = TOKEN.match(src, pos)
        if not m or m.end() == pos:
            raise TemplateError(f"line {line}: cannot parse {src[pos:]!r}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class ExprParser:
    def __init__(self, tokens, line):
        self.t, self.i, self.line = tokens, 0, line

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def pipeline(self, allow_decl=True) -> Pipeline:
        decl, assign = [], False
        if allow_decl:
            # $x := ..., $k, $v := ..., $x = ...
            j, names = self.i, []
            while j < len(self.t) and self.t[j][0] == "var" and "." not in self.t[j][1]:
                names.append(self.t[j][1])
                j += 1
                if j < len(self.t) and self.t[j] == ("op", ","):
                    j += 1
                    continue
                break
            if names and j < len(self.t) and (self.t[j][0] == "decl" or self.t[j] == ("op", "=")):
                assign = self.t[j] == ("op", "=")
                decl, self.i = names, j + 1
        cmds = [self.command()]
        while self.peek() == ("op", "|"):
            self.take()
            cmds.append(self.command())
        return Pipeline(decl, assign, cmds)

    def command(self) -> list[Any]:
        args = []
        while True:
            kind, val = self.peek()
            if kind is None or (kind == "op" and val in ("|", ")")):
                break
            args.append(self.operand())
        if not args:
            raise TemplateError(f"line {self.line}: empty command")
        return args

    def operand(self):
        kind, val = self.take()
        if kind == "op" and val == "(":
            pipe = self.pipeline(allow_decl=False)
            if self.take() != ("op", ")"):
                raise TemplateError(f"line {self.line}: missing )")
            nxt = self.peek()
            if nxt[0] == "field" and nxt[1] != ".":
                self.take()
                return ("sub", pipe, nxt[1][1:].split("."))
            return ("sub", pipe, [])
        if kind == "str":
            return ("lit", json.loads(val))
        if kind == "raw":
            return ("lit", val[1:-1])
        if kind == "num":
            return ("lit", float(val) if "." in val else int(val))
        if kind == "field":
            return ("field", [] if val == "." else val[1:].split("."))
        if kind == "var":
            name, *chain = val.split(".")
            return ("var", name, chain)
        if kind == "ident":
            if val in ("true", "false"):
                return ("lit", val == "true")
            if val == "nil":
                return ("lit", None)
            return ("fn", val)
        raise TemplateError(f"line {self.line}: unexpected {val!r}")


def parse(src: str, name: str, defines: dict[str, list[Node]]) -> list[Node]:
    """Parses a template; `define` blocks go into `defines`."""
    # Tokenise into text and actions, applying trim markers.
    pieces: list[tuple[str, Any, int]] = []
    pos = 0
    for m in ACTION.finditer(src):
        text = src[pos : m.start()]
        if m.group(1):
            text = text.rstrip(" \t\r\n")
        pieces.append(("text", text, 0))
        body = m.group(2).strip()
        line = src.count("\n", 0, m.start()) + 1
        pieces.append(("action", body, line))
        pos = m.end()
        if m.group(3):
            rest = src[pos:]
            pos += len(rest) - len(rest.lstrip(" \t\r\n"))
    pieces.append(("text", src[pos:], 0))

    stack: list[tuple[str, Any, list[Node]]] = []  # (kind, node or define name, parent body)
    root: list[Node] = []
    current = root

    def open_block(kind, node, body):
        nonlocal current
        stack.append((kind, node, current))
        current = body

    for kind, content, line in pieces:
        if kind == "text":
            if content:
                current.append(Text(content))
            continue
        if content.startswith("/*"):
            if not content.endswith("*/"):
                raise TemplateError(f"{name}:{line}: unterminated comment")
            continue
        word = content.split(None, 1)
        head = word[0] if word else ""
        rest = word[1] if len(word) > 1 else ""
        where = f"{name}:{line}"
        if head == "if":
            node = If([(ExprParser(tokenize(rest, line), line).pipeline(), [])], None, line)
            open_block("if", node, node.branches[0][1])
        elif head == "else":
            if not stack:
                raise TemplateError(f"{where}: else without if/range/with")
            bkind, node, parent = stack.pop()
            if rest.startswith("if "):
                if bkind != "if":
                    raise TemplateError(f"{where}: else if inside {bkind}")
                body: list[Node] = []
                node.branches.append(
                    (ExprParser(tokenize(rest[3:], line), line).pipeline(), body)
                )
                stack.append((bkind, node, parent))
                current = body
            elif rest:
                raise TemplateError(f"{where}: unsupported else {rest!r}")
            else:
                body = []
                node.otherwise = body
                stack.append((bkind + "-else", node, parent))
                current = body
        elif head == "end":
            if not stack:
                raise TemplateError(f"{where}: end without block")
            finished = current
            bkind, node, parent = stack.pop()
            current = parent
            if bkind == "define":
                defines[node] = finished
            elif bkind == "define-else":
                raise TemplateError(f"{where}: else inside define")
            else:
                current.append(node)
        elif head == "range":
            node = Range(ExprParser(tokenize(rest, line), line).pipeline(), [], None, line)
            open_block("range", node, node.body)
        elif head == "with":
            node = With(ExprParser(tokenize(rest, line), line).pipeline(), [], None, line)
            open_block("with", node, node.body)
        elif head == "define":
            tname = json.loads(rest.strip())
            if tname in defines:
                raise TemplateError(f"{where}: template {tname!r} defined twice")
            open_block("define", tname, [])
        elif head == "template":
            toks = tokenize(rest, line)
            if not toks or toks[0][0] != "str":
                raise TemplateError(f"{where}: template needs a name")
            tname = json.loads(toks[0][1])
            pipe = ExprParser(toks[1:], line).pipeline() if len(toks) > 1 else None
            current.append(Template(tname, pipe, line))
        elif head in ("block", "break", "continue"):
            raise TemplateError(f"{where}: {head} is not supported by this renderer")
        else:
            current.append(Action(ExprParser(tokenize(content, line), line).pipeline(), line))
    if stack:
        raise TemplateError(f"{name}: unclosed {stack[-1][0]}")
    return root


# --------------------------------------------------------------------------- evaluation


class Renderer:
    def __init__(self, defines: dict[str, list[Node]]):
        self.defines = defines
        self.depth = 0

    # Scopes: a list of dicts; `$` is set per template invocation.
    def render(self, nodes: list[Node], dot: Any, scopes: list[dict]) -> str:
        out: list[str] = []
        for node in nodes:
            out.append(self.node(node, dot, scopes))
        return "".join(out)

    def node(self, node: Node, dot: Any, scopes: list[dict]) -> str:
        if isinstance(node, Text):
            return node.text
        if isinstance(node, Action):
            value = self.pipeline(node.pipe, dot, scopes, node.line)
            if node.pipe.decl:
                return ""
            return go_str(value)
        if isinstance(node, If):
            for pipe, body in node.branches:
                if truthy(self.pipeline(pipe, dot, scopes, node.line)):
                    return self.render(body, dot, scopes + [{}])
            if node.otherwise is not None:
                return self.render(node.otherwise, dot, scopes + [{}])
            return ""
        if isinstance(node, With):
            value = self.pipeline(node.pipe, dot, scopes, node.line, declare=False)
            scope = {}
            if node.pipe.decl:
                scope[node.pipe.decl[0]] = value
            if truthy(value):
                return self.render(node.body, value, scopes + [scope])
            if node.otherwise is not None:
                return self.render(node.otherwise, dot, scopes + [{}])
            return ""
        if isinstance(node, Range):
            value = self.pipeline(node.pipe, dot, scopes, node.line, declare=False)
            if value is None:
                items = []
            elif isinstance(value, dict):
                items = [(k, value[k]) for k in sorted(value)]
            elif isinstance(value, list):
                items = list(enumerate(value))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                items = [(i, i) for i in range(int(value))]
            else:
                raise TemplateError(f"line {node.line}: range over {kind_of(value)}")
            if not items:
                if node.otherwise is not None:
                    return self.render(node.otherwise, dot, scopes + [{}])
                return ""
            out = []
            for key, item in items:
                scope = {}
                decl = node.pipe.decl
                if len(decl) == 1:
                    scope[decl[0]] = item
                elif len(decl) == 2:
                    scope[decl[0]], scope[decl[1]] = key, item
                out.append(self.render(node.body, item, scopes + [scope]))
            return "".join(out)
        if isinstance(node, Template):
            data = self.pipeline(node.pipe, dot, scopes, node.line) if node.pipe else None
            return self.include(node.name, data)
        raise TemplateError(f"unknown node {node!r}")

    def include(self, name: str, data: Any) -> str:
        if name not in self.defines:
            raise TemplateError(f"no template {name!r}")
        self.depth += 1
        if self.depth > 50:
            raise TemplateError(f"template {name!r}: recursion too deep")
        try:
            return self.render(self.defines[name], data, [{"$": data}])
        finally:
            self.depth -= 1

    def lookup(self, scopes, name, line):
        for scope in reversed(scopes):
            if name in scope:
                return scope[name]
        raise TemplateError(f"line {line}: undefined variable {name}")

    def pipeline(self, pipe: Pipeline, dot, scopes, line, declare=True):
        value, have = None, False
        for cmd in pipe.cmds:
            value = self.command(cmd, dot, scopes, line, value if have else _NONE)
            have = True
        if pipe.decl and declare:
            name = pipe.decl[0]
            if pipe.assign:
                for scope in reversed(scopes):
                    if name in scope:
                        scope[name] = value
                        break
                else:
                    raise TemplateError(f"line {line}: assignment to undeclared {name}")
            else:
                scopes[-1][name] = value
        return value

    def command(self, cmd, dot, scopes, line, piped):
        first = cmd[0]
        if first[0] == "fn":
            name = first[1]
            if name in ("and", "or"):
                args = [lambda a=a: self.operand(a, dot, scopes, line) for a in cmd[1:]]
                if piped is not _NONE:
                    args.append(lambda: piped)
                result = None
                for get in args:
                    result = get()
                    if (name == "and") != truthy(result):
                        return result
                return result
            args = [self.operand(a, dot, scopes, line) for a in cmd[1:]]
            if piped is not _NONE:
                args.append(piped)
            return self.call(name, args, line)
        if len(cmd) > 1 or piped is not _NONE:
            raise TemplateError(f"line {line}: {first} is not a function")
        return self.operand(first, dot, scopes, line)

    def operand(self, op, dot, scopes, line):
        kind = op[0]
        if kind == "lit":
            return op[1]
        if kind == "field":
            return self.chain(dot, op[1], line, ".")
        if kind == "var":
            return self.chain(self.lookup(scopes, op[1], line), op[2], line, op[1])
        if kind == "sub":
            return self.chain(self.pipeline(op[1], dot, scopes, line), op[2], line, "(...)")
        if kind == "fn":
            return self.call(op[1], [], line)
        raise TemplateError(f"line {line}: bad operand {op!r}")

    def chain(self, value, names, line, start):
        path = start
        for name in names:
            if value is None:
                raise TemplateError(f"line {line}: nil pointer evaluating {path}.{name}")
            if not isinstance(value, dict):
                raise TemplateError(f"line {line}: can't evaluate field {name} in {kind_of(value)} {path}")
            value = value.get(name)
            path = f"{path}.{name}"
        return value

    def call(self, name, args, line):
        fn = FUNCS.get(name)
        if name == "include":
            if len(args) != 2:
                raise TemplateError(f"line {line}: include takes a name and a value")
            return self.include(args[0], args[1])
        if name == "tpl":
            raise TemplateError(f"line {line}: tpl is not supported by this renderer")
        if fn is None:
            raise TemplateError(f"line {line}: function {name!r} not defined (add it to scripts/gotemplate.py)")
        try:
            return fn(*args)
        except TemplateError:
            raise
        except TypeError as e:
            raise TemplateError(f"line {line}: {name}: wrong arguments ({e})") from e


class _NoneType:
    pass


_NONE = _NoneType()


def _required(msg, v=None):
    if v is None or (isinstance(v, str) and v == ""):
        raise TemplateError(f"required: {msg}")
    return v


def _fail(msg):
    raise TemplateError(f"fail: {msg}")


def _empty(v):
    return not truthy(v)


def _default(d, v=None):
    return d if _empty(v) else v


def _to_int(v):
    if v is None:
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return int(v)
    if isinstance(v, str):
        try:
            return int(float(v))
        except ValueError:
            return 0
    return 0


def _eq(a, *bs):
    def norm(x):
        return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x

    if not bs:
        raise TemplateError("eq needs two arguments")
    return any(norm(a) == norm(b) for b in bs)


def _set(d, k, v):
    if not isinstance(d, dict):
        raise TemplateError("set needs a dict")
    d[k] = v
    return d


def _dict(*kv):
    if len(kv) % 2:
        raise TemplateError("dict needs key/value pairs")
    return {go_str(kv[i]): kv[i + 1] for i in range(0, len(kv), 2)}


def _indent(n, s):
    pad = " " * int(n)
    return pad + s.replace("\n", "\n" + pad)


def _trunc(n, s):
    n = int(n)
    return s[:n] if n >= 0 else s[n:]


def _from_json(s):
    try:
        return helm_numbers(json.loads(s))
    except json.JSONDecodeError as e:
        raise TemplateError(f"fromJson: {e}") from e


def _to_json(v):
    text = json.dumps(plain(v), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # encoding/json escapes these for HTML safety.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


FUNCS = {
    "and": None,  # handled in Renderer.command (short-circuit)
    "b64enc": lambda s: __import__("base64").b64encode(go_str(s).encode()).decode(),
    "contains": lambda sub, s: sub in s,
    "default": _default,
    "dict": _dict,
    "empty": _empty,
    "eq": _eq,
    "fail": _fail,
    "fromJson": _from_json,
    "ge": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "has": lambda needle, hay: needle in (hay or []),
    "hasKey": lambda d, k: k in d,
    "hasPrefix": lambda p, s: s.startswith(p),
    "hasSuffix": lambda p, s: s.endswith(p),
    "indent": _indent,
    "int": _to_int,
    "int64": _to_int,
    "join": lambda sep, xs: sep.join(go_str(x) for x in xs),
    "kindIs": lambda k, v: kind_of(v) == k,
    "le": lambda a, b: a <= b,
    "len": lambda v: len(v),
    "list": lambda *xs: list(xs),
    "lower": lambda s: s.lower(),
    "lt": lambda a, b: a < b,
    "ne": lambda a, b: not _eq(a, b),
    "nindent": lambda n, s: "\n" + _indent(n, s),
    "not": lambda v: not truthy(v),
    "or": None,
    "print": lambda *xs: "".join(go_str(x) for x in xs),
    "printf": lambda fmt, *args: go_sprintf(fmt, list(args)),
    "quote": lambda *xs: " ".join(json.dumps(go_str(x), ensure_ascii=False) for x in xs if x is not None),
    "replace": lambda old, new, s: s.replace(old, new),
    "required": _required,
    "set": _set,
    "sha256sum": lambda s: hashlib.sha256(s.encode()).hexdigest(),
    "squote": lambda *xs: " ".join(f"'{go_str(x)}'" for x in xs if x is not None),
    "toJson": _to_json,
    "toString": go_str,
    "toYaml": to_yaml,
    "trim": lambda s: s.strip(),
    "trimPrefix": lambda p, s: s[len(p):] if s.startswith(p) else s,
    "trimSuffix": lambda suf, s: s[: -len(suf)] if suf and s.endswith(suf) else s,
    "trunc": _trunc,
    "upper": lambda s: s.upper(),
}


def render_chart(templates: dict[str, str], context: dict) -> dict[str, str]:
    """Renders every template whose file name does not start with `_`; returns name -> text
    (with Helm's `<no value>` replaced by an empty string)."""
    defines: dict[str, list[Node]] = {}
    parsed = {}
    for name, src in sorted(templates.items()):
        parsed[name] = parse(src, name, defines)
        # Each file is also a template named by its path (include of a file works in Helm).
        defines[name] = parsed[name]
    renderer = Renderer(defines)
    out = {}
    for name, nodes in parsed.items():
        if name.rsplit("/", 1)[-1].startswith("_"):
            continue
        ctx = dict(context)
        ctx["Template"] = {"Name": name, "BasePath": name.rsplit("/", 1)[0]}
        text = renderer.render(nodes, ctx, [{"$": ctx}])
        out[name] = text.replace("<no value>", "")
    return out
