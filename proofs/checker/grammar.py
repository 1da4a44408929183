"""An evaluate-nothing expression grammar for untrusted text (certificates, instance files, user bounds).

Nothing here calls ``eval``, ``ast``, ``sympify`` or any other interpreter: text is tokenized and parsed by
recursive descent into an immutable tree, and every size limit is enforced *before* any arithmetic. The
parser itself uses only the standard library; the converters import SymPy / mpmath lazily.

Grammar (Python operator precedence; ``**`` is right-associative and binds tighter than unary minus)::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("-" | "+") unary | power
    power  := atom ("**" unary)?
    atom   := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"
    NUMBER := digits ["." digits] [("e" | "E") ["+" | "-"] digits]      (read exactly: "0.1" is 1/10)

Names are either *symbols*, which the caller whitelists for each parse, the built-in constants ``E`` and
``pi``, or *functions* from :data:`FUNCTIONS` (plus caller-declared extras such as the link ``h``):

    exp, log, sqrt, sinh, cosh, tanh, asinh, Abs, Min, Max    (aliases: abs -> Abs, min -> Min, max -> Max)

API
---
``parse(text, symbols=(), functions=(), limits=DEFAULT_LIMITS) -> Expr``
    Parse ``text``; ``symbols`` is the set of allowed symbol names, ``functions`` maps extra function
    names to their arity (e.g. ``{"h": 1}``). Raises :class:`GrammarError` naming what was wrong.
``parse_number(text, limits=DEFAULT_LIMITS) -> Fraction``
    An exact number: ``"-3"``, ``"0.125"``, ``"1.5e-7"`` or ``"p/q"`` (signed numerator); used for every
    numeric string of a certificate.
``free_symbols(expr) -> frozenset[str]``;  ``node_count(expr) -> int``;  ``to_text(expr) -> str`` (canonical).
``to_rational(expr, env={}, limits=...) -> Fraction``
    Exact evaluation of + - * / and integer powers over a map of rational symbol values (bit-size guarded).
``to_sympy(expr, symbols, functions={}, limits=...) -> sympy.Expr``
    ``symbols`` maps each symbol to a SymPy object; ``functions`` maps extra function names to callables.
    Numbers become ``sympy.Rational``; a power of numbers whose exact value would exceed
    ``limits.max_bits`` bits, or a numeric exponent larger than ``limits.max_power``, is refused.
``to_interval(expr, env, functions={}, limits=...) -> mpmath.iv.mpf``
    Rigorous interval enclosure at the current ``mpmath.iv`` precision (whatever ``mpmath.mp``'s is). ``env``
    maps symbols to ``iv.mpf``, Fractions or ints (any other value, a bool or a float included, is refused with
    :class:`DomainError`); a function neither in :data:`FUNCTIONS` nor in ``functions`` is refused too. Domain errors (log of a possibly non-positive value, division by an interval
    holding 0, a non-integer power of a possibly non-positive base) and arguments of exp/sinh/cosh beyond
    ``limits.max_exp_arg`` raise :class:`DomainError` (a GrammarError).

Limits (:class:`Limits`, all enforced before any arithmetic):

* ``max_chars``: length of the text; ``max_literal_chars``: characters of one number;
* ``max_depth``: syntactic nesting (parentheses, unary signs, powers, calls); ``max_call_depth``: functions
  nested inside function arguments (``exp(exp(exp(...)))`` is refused past it);
* ``max_height``: height of the tree, so long ``a + b + c + ...`` chains are bounded too (every walker
  recurses at most this deep); ``max_nodes``: size of the tree;
* ``max_exp10``: |exponent| of a ``1eNNN`` literal; ``max_power``: |numerator| and denominator of a numeric
  ``**`` exponent;
* ``max_bits``: bit size of any exact number built while converting; ``max_exp_arg``: |argument| of exp,
  sinh, cosh (and of the exp in a non-integer power) in interval evaluation.

Cost: parsing is linear in the text; a converter visits each node once, and each exact number it builds
has at most ``max_bits`` bits, so time and memory are bounded by the limits, not by the values.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Union

__all__ = ["GrammarError", "DomainError", "Limits", "DEFAULT_LIMITS", "FUNCTIONS", "CONSTANTS", "Num", "Sym",
           "Const", "Neg", "BinOp", "Call", "Expr", "parse", "parse_number", "free_symbols", "node_count",
           "to_text", "to_rational", "to_sympy", "to_interval"]


class GrammarError(ValueError):
    """Text that the grammar refuses (or an expression that cannot be evaluated); the message says why."""


class DomainError(GrammarError):
    """An expression that parsed but cannot be evaluated rigorously on the given values."""


@dataclass(frozen=True)
class Limits:
    max_chars: int = 4000
    max_depth: int = 60
    max_height: int = 250
    max_nodes: int = 2000
    max_call_depth: int = 6
    max_literal_chars: int = 1200
    max_exp10: int = 4000
    max_power: int = 1000
    max_bits: int = 200_000
    max_exp_arg: int = 100_000


DEFAULT_LIMITS = Limits()

# name -> (arity, canonical name)
FUNCTIONS: dict[str, int] = {"exp": 1, "log": 1, "sqrt": 1, "sinh": 1, "cosh": 1, "tanh": 1, "asinh": 1,
                             "Abs": 1, "Min": 2, "Max": 2}
_ALIASES = {"abs": "Abs", "min": "Min", "max": "Max"}
CONSTANTS = ("E", "pi")


# --- the tree ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Num:
    value: Fraction


@dataclass(frozen=True)
class Sym:
    name: str


@dataclass(frozen=True)
class Const:
    name: str  # "E" or "pi"


@dataclass(frozen=True)
class Neg:
    arg: "Expr"


@dataclass(frozen=True)
class BinOp:
    op: str  # "+", "-", "*", "/", "**"
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple


Expr = Union[Num, Sym, Const, Neg, BinOp, Call]


# --- numbers -----------------------------------------------------------------------------------------

_NUMBER = re.compile(r"(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?|\.(\d+)(?:[eE]([+-]?\d+))?")


def _number_value(text: str, limits: Limits) -> Fraction:
    """Exact value of an unsigned decimal literal (already matched by _NUMBER); limits checked first."""
    if len(text) > limits.max_literal_chars:
        raise GrammarError(f"number literal of {len(text)} characters (limit {limits.max_literal_chars})")
    m = _NUMBER.fullmatch(text)
    if m is None:
        raise GrammarError(f"malformed number {text[:40]!r}")
    if m.group(1) is not None:
        whole, frac, exp = m.group(1), m.group(2) or "", m.group(3)
    else:
        whole, frac, exp = "0", m.group(4), m.group(5)
    e = 0
    if exp is not None:
        digits = exp.lstrip("+-").lstrip("0") or "0"
        if len(digits) > len(str(limits.max_exp10)) or int(digits) > limits.max_exp10:
            raise GrammarError(f"exponent {exp} in {text[:40]!r} exceeds the limit 10^(+-{limits.max_exp10})")
        e = int(exp)
    mant = int(whole + frac)
    e -= len(frac)
    return Fraction(mant * 10 ** e) if e >= 0 else Fraction(mant, 10 ** -e)


def parse_number(text, limits: Limits = DEFAULT_LIMITS) -> Fraction:
    """An exact rational from ``"p/q"``, ``"-12"``, ``"0.125"`` or ``"1.5e-7"`` (no spaces, no other forms)."""
    if not isinstance(text, str):
        raise GrammarError(f"expected a number as a string, got {type(text).__name__}")
    if len(text) > limits.max_literal_chars + 2:
        raise GrammarError(f"number of {len(text)} characters (limit {limits.max_literal_chars})")
    sign = 1
    body = text
    if body[:1] in "+-" and body:
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if "/" in body:
        p, _, q = body.partition("/")
        if not (p.isdigit() and q.isdigit() and p.isascii() and q.isascii()):
            raise GrammarError(f"cannot read {text[:40]!r} as p/q with integers p, q")
        if len(p) + len(q) > limits.max_literal_chars:
            raise GrammarError(f"number of {len(text)} characters (limit {limits.max_literal_chars})")
        if int(q) == 0:
            raise GrammarError(f"zero denominator in {text[:40]!r}")
        return sign * Fraction(int(p), int(q))
    if not body or not body.isascii() or _NUMBER.fullmatch(body) is None:
        raise GrammarError(f"cannot read {text[:40]!r} as an exact number")
    return sign * _number_value(body, limits)


# --- tokenizer and parser ----------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
                    r"|(?P<name>[A-Za-z][A-Za-z0-9_]*)|(?P<op>\*\*|[-+*/(),]))")
_MAX_NAME = 40


class _Parser:
    def __init__(self, text: str, symbols, functions: Mapping[str, int], limits: Limits):
        self.limits = limits
        self.symbols = frozenset(symbols)
        self.functions = dict(FUNCTIONS)
        self.functions.update(functions)
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.depth = 0
        self.calls = 0
        self.nodes = 0
        self.height: dict[int, int] = {}
        self.keep: list = []

    def _tokenize(self, text):
        toks = []
        i, n = 0, len(text)
        while i < n:
            m = _TOKEN.match(text, i)
            if m is None or m.end() == i:
                rest = text[i:].lstrip()
                if not rest:
                    break
                raise GrammarError(f"unexpected character {rest[0]!r} at position {n - len(rest)}")
            if m.group("num") is not None:
                tok = m.group("num")
                if len(tok) > self.limits.max_literal_chars:
                    raise GrammarError(f"number literal of {len(tok)} characters at position {m.start('num')} "
                                       f"(limit {self.limits.max_literal_chars})")
                toks.append(("num", tok, m.start("num")))
            elif m.group("name") is not None:
                tok = m.group("name")
                if len(tok) > _MAX_NAME:
                    raise GrammarError(f"name of {len(tok)} characters at position {m.start('name')}")
                toks.append(("name", tok, m.start("name")))
            else:
                toks.append(("op", m.group("op"), m.start("op")))
            if len(toks) > 2 * self.limits.max_nodes + 2:
                raise GrammarError(f"more than {2 * self.limits.max_nodes} tokens")
            i = m.end()
        return toks

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "", -1)

    def take(self, kind, value=None):
        tok = self.peek()
        if tok[0] != kind or (value is not None and tok[1] != value):
            where = "end of text" if tok[0] == "end" else f"{tok[1]!r} at position {tok[2]}"
            raise GrammarError(f"expected {value or kind}, found {where}")
        self.pos += 1
        return tok

    def node(self, obj):
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise GrammarError(f"expression has more than {self.limits.max_nodes} nodes")
        h = 1 + max((self.height[id(c)] for c in _children(obj)), default=0)
        if h > self.limits.max_height:
            raise GrammarError(f"expression tree higher than {self.limits.max_height} levels")
        self.height[id(obj)] = h
        self.keep.append(obj)  # ids stay valid while the parse runs
        return obj

    def enter(self):
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise GrammarError(f"expression nested deeper than {self.limits.max_depth} levels")

    def leave(self):
        self.depth -= 1

    def left_associative(self, operand, ops):
        """operand (op operand)*, folded to the left: one precedence level of binary operators."""
        left = operand()
        while self.peek()[:2] in ops:
            op = self.take("op")[1]
            left = self.node(BinOp(op, left, operand()))
        return left

    def expr(self):
        return self.left_associative(self.term, (("op", "+"), ("op", "-")))

    def term(self):
        return self.left_associative(self.unary, (("op", "*"), ("op", "/")))

    def unary(self):
        tok = self.peek()
        if tok[:2] in (("op", "-"), ("op", "+")):
            self.take("op")
            self.enter()
            arg = self.unary()
            self.leave()
            return self.node(Neg(arg)) if tok[1] == "-" else arg
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek()[:2] == ("op", "**"):
            self.take("op")
            self.enter()
            exponent = self.unary()
            self.leave()
            if isinstance(exponent, Num) and (abs(exponent.value.numerator) > self.limits.max_power
                                              or exponent.value.denominator > self.limits.max_power):
                raise GrammarError(f"exponent {_short(exponent.value)} exceeds the limit {self.limits.max_power}")
            return self.node(BinOp("**", base, exponent))
        return base

    def atom(self):
        tok = self.peek()
        if tok[0] == "num":
            self.take("num")
            return self.node(Num(_number_value(tok[1], self.limits)))
        if tok[:2] == ("op", "("):
            self.take("op")
            self.enter()
            inner = self.expr()
            self.take("op", ")")
            self.leave()
            return inner
        if tok[0] == "name":
            self.take("name")
            name = tok[1]
            if self.peek()[:2] == ("op", "("):
                fname = _ALIASES.get(name, name)
                if fname not in self.functions:
                    raise GrammarError(f"unknown function {name!r} at position {tok[2]}")
                self.take("op", "(")
                self.enter()
                self.calls += 1
                if self.calls > self.limits.max_call_depth:
                    raise GrammarError(f"function calls nested deeper than {self.limits.max_call_depth}")
                args = [self.expr()]
                while self.peek()[:2] == ("op", ","):
                    self.take("op")
                    args.append(self.expr())
                self.take("op", ")")
                self.calls -= 1
                self.leave()
                if len(args) != self.functions[fname]:
                    raise GrammarError(f"{fname} takes {self.functions[fname]} argument(s), got {len(args)}")
                return self.node(Call(fname, tuple(args)))
            if name in self.symbols:
                return self.node(Sym(name))
            if name in CONSTANTS:
                return self.node(Const(name))
            raise GrammarError(f"unknown symbol {name!r} at position {tok[2]}")
        where = "end of text" if tok[0] == "end" else f"{tok[1]!r} at position {tok[2]}"
        raise GrammarError(f"expected a number, name or '(', found {where}")


def parse(text, symbols=(), functions: Mapping[str, int] | None = None,
          limits: Limits = DEFAULT_LIMITS) -> Expr:
    """Parse untrusted ``text`` into an immutable expression tree (see the module docstring)."""
    if not isinstance(text, str):
        raise GrammarError(f"expected an expression string, got {type(text).__name__}")
    if len(text) > limits.max_chars:
        raise GrammarError(f"expression of {len(text)} characters (limit {limits.max_chars})")
    if not text.isascii():
        raise GrammarError("expression contains non-ASCII characters")
    for name in functions or {}:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise GrammarError(f"bad function name {name!r}")
    p = _Parser(text, symbols, functions or {}, limits)
    if not p.tokens:
        raise GrammarError("empty expression")
    tree = p.expr()
    if p.pos != len(p.tokens):
        tok = p.tokens[p.pos]
        raise GrammarError(f"unexpected {tok[1]!r} at position {tok[2]}")
    return tree


# --- walking the tree (iteratively bounded: the depth is at most limits.max_depth) ---------------------

def _children(e):
    if isinstance(e, Neg):
        return (e.arg,)
    if isinstance(e, BinOp):
        return (e.left, e.right)
    if isinstance(e, Call):
        return e.args
    return ()


def free_symbols(expr: Expr) -> frozenset:
    out, stack = set(), [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, Sym):
            out.add(e.name)
        stack.extend(_children(e))
    return frozenset(out)


def node_count(expr: Expr) -> int:
    n, stack = 0, [expr]
    while stack:
        e = stack.pop()
        n += 1
        stack.extend(_children(e))
    return n


def to_text(expr: Expr) -> str:
    """Canonical, fully parenthesized text (parses back to the same tree)."""
    if isinstance(expr, Num):
        v = expr.value
        return str(v.numerator) if v.denominator == 1 and v >= 0 else f"({v.numerator}/{v.denominator})" \
            if v >= 0 else f"(-{to_text(Num(-v))})"
    if isinstance(expr, (Sym, Const)):
        return expr.name
    if isinstance(expr, Neg):
        return f"(-{to_text(expr.arg)})"
    if isinstance(expr, BinOp):
        return f"({to_text(expr.left)} {expr.op} {to_text(expr.right)})"
    return f"{expr.name}({', '.join(to_text(a) for a in expr.args)})"


def _short(q) -> str:
    text = str(q)
    return text if len(text) <= 40 else text[:20] + f"...({len(text)} characters)"


def _bits(q: Fraction) -> int:
    return q.numerator.bit_length() + q.denominator.bit_length()


def to_rational(expr: Expr, env: Mapping[str, Fraction] | None = None, limits: Limits = DEFAULT_LIMITS) -> Fraction:
    """Exact value of a rational expression (+ - * / and integer powers); DomainError otherwise."""
    env = env or {}

    def ev(e) -> Fraction:
        if isinstance(e, Num):
            return e.value
        if isinstance(e, Sym):
            if e.name not in env:
                raise DomainError(f"symbol {e.name!r} has no rational value")
            return Fraction(env[e.name])
        if isinstance(e, Neg):
            return -ev(e.arg)
        if isinstance(e, BinOp):
            a = ev(e.left)
            b = ev(e.right)
            if e.op == "**":
                if b.denominator != 1 or abs(b.numerator) > limits.max_power:
                    raise DomainError(f"power {_short(b)} is not an integer of magnitude <= {limits.max_power}")
                if _bits(a) * abs(b.numerator) > limits.max_bits:
                    raise DomainError(f"exact power exceeds {limits.max_bits} bits")
                if a == 0 and b < 0:
                    raise DomainError("division by zero")
                r = a ** int(b)
            elif e.op == "/":
                if b == 0:
                    raise DomainError("division by zero")
                r = a / b
            else:
                r = a + b if e.op == "+" else a - b if e.op == "-" else a * b
            if _bits(r) > limits.max_bits:
                raise DomainError(f"exact value exceeds {limits.max_bits} bits")
            return r
        raise DomainError(f"{to_text(e)} is not a rational expression")

    return ev(expr)


# --- SymPy -------------------------------------------------------------------------------------------

def to_sympy(expr: Expr, symbols: Mapping, functions: Mapping | None = None, limits: Limits = DEFAULT_LIMITS):
    """A SymPy expression built node by node from the tree (no parsing by SymPy, nothing evaluated as code)."""
    import sympy

    functions = functions or {}
    table = {"exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "sinh": sympy.sinh, "cosh": sympy.cosh,
             "tanh": sympy.tanh, "asinh": sympy.asinh, "Abs": sympy.Abs, "Min": sympy.Min, "Max": sympy.Max}

    def guard(v):
        if isinstance(v, sympy.Rational) and _bits(Fraction(int(v.p), int(v.q))) > limits.max_bits:
            raise DomainError(f"exact value exceeds {limits.max_bits} bits")
        return v

    def ev(e):
        if isinstance(e, Num):
            return sympy.Rational(e.value.numerator, e.value.denominator)
        if isinstance(e, Sym):
            if e.name not in symbols:
                raise DomainError(f"symbol {e.name!r} has no SymPy value")
            return symbols[e.name]
        if isinstance(e, Const):
            return sympy.E if e.name == "E" else sympy.pi
        if isinstance(e, Neg):
            return guard(-ev(e.arg))
        if isinstance(e, BinOp):
            a, b = ev(e.left), ev(e.right)
            if e.op == "**":
                if isinstance(b, sympy.Rational):
                    if abs(int(b.p)) > limits.max_power or int(b.q) > limits.max_power:
                        raise DomainError(f"exponent {_short(b)} exceeds the limit {limits.max_power}")
                    if isinstance(a, sympy.Rational) and \
                            _bits(Fraction(int(a.p), int(a.q))) * abs(int(b.p)) > limits.max_bits:
                        raise DomainError(f"exact power exceeds {limits.max_bits} bits")
                elif b.is_number:
                    raise DomainError(f"non-rational numeric exponent {_short(b)} (not allowed)")
                return guard(a ** b)
            if e.op == "/":
                if b == 0:
                    raise DomainError("division by zero")
                return guard(a / b)
            return guard(a + b if e.op == "+" else a - b if e.op == "-" else a * b)
        fn = functions.get(e.name) or table.get(e.name)
        if fn is None:
            raise DomainError(f"function {e.name!r} has no SymPy meaning here")
        return fn(*[ev(a) for a in e.args])

    return ev(expr)


# --- interval arithmetic -----------------------------------------------------------------------------

def to_interval(expr: Expr, env: Mapping, functions: Mapping | None = None, limits: Limits = DEFAULT_LIMITS):
    """A rigorous ``mpmath.iv`` enclosure of the expression over the intervals in ``env``."""
    import mpmath
    from mpmath import iv

    from .interval import enclose, hi, iv_exp, iv_log, iv_sqrt, lo

    functions = functions or {}

    def finite(x, what):
        if not (mpmath.isfinite(lo(x)) and mpmath.isfinite(hi(x))):
            raise DomainError(f"{what} is unbounded")
        return x

    def conv(v):
        if isinstance(v, Fraction):
            return iv.mpf(v.numerator) / iv.mpf(v.denominator)
        if isinstance(v, int) and not isinstance(v, bool):
            return iv.mpf(v)
        if isinstance(v, iv.mpf):
            return v
        raise DomainError(f"a symbol's value of type {type(v).__name__} is not an interval, a Fraction or an int")

    def pt(x):
        return iv.mpf(x)

    def expo(x):
        if max(abs(lo(x)), abs(hi(x))) > limits.max_exp_arg:
            raise DomainError(f"argument of exp/sinh/cosh beyond +-{limits.max_exp_arg}")
        return iv_exp(x)

    def monotone(f, x):
        """Enclosure of an increasing f over x from point enclosures at the two ends."""
        return iv.mpf([f(pt(lo(x))).a, f(pt(hi(x))).b])

    def sinh(x):
        return (expo(x) - expo(-x)) / 2

    def cosh(x):
        return (expo(x) + expo(-x)) / 2

    def tanh(x):
        return 1 - 2 / (expo(2 * x) + 1)

    def asinh(x):
        a = abs(x)
        return iv_log(a + iv_sqrt(a * a + 1))

    def absval(x):
        if lo(x) >= 0:
            return x
        if hi(x) <= 0:
            return -x
        return iv.mpf([0, max(-lo(x), hi(x))])

    def call(name, args):
        if name in functions:
            return functions[name](*args)
        if name not in FUNCTIONS:
            raise DomainError(f"function {name!r} has no interval meaning here")
        x = args[0]
        if name == "exp":
            return expo(x)
        if name == "log":
            if not lo(x) > 0:
                raise DomainError("log of a possibly non-positive value")
            return iv_log(x)
        if name == "sqrt":
            if not lo(x) >= 0:
                raise DomainError("sqrt of a possibly negative value")
            return iv_sqrt(x)
        if name == "sinh":
            return monotone(sinh, x)
        if name == "cosh":
            if lo(x) >= 0:
                return monotone(cosh, x)
            if hi(x) <= 0:
                return monotone(cosh, -x)
            m = max(-lo(x), hi(x))
            return iv.mpf([1, cosh(pt(m)).b])
        if name == "tanh":
            return monotone(tanh, x)
        if name == "asinh":
            def f(v):
                return asinh(v) if lo(v) >= 0 else -asinh(-v)
            return monotone(f, x)
        if name == "Abs":
            return absval(x)
        y = args[1]
        if name == "Min":
            return iv.mpf([min(lo(x), lo(y)), min(hi(x), hi(y))])
        return iv.mpf([max(lo(x), lo(y)), max(hi(x), hi(y))])  # Max, the last of FUNCTIONS

    def ev(e):
        if isinstance(e, Num):
            return conv(e.value)
        if isinstance(e, Sym):
            if e.name not in env:
                raise DomainError(f"symbol {e.name!r} has no value")
            return conv(env[e.name])
        if isinstance(e, Const):
            return enclose(lambda _: +(iv.e if e.name == "E" else iv.pi), None)
        if isinstance(e, Neg):
            return -ev(e.arg)
        if isinstance(e, Call):
            return finite(call(e.name, [ev(a) for a in e.args]), f"{e.name}(...)")
        a = ev(e.left)
        if e.op == "**":
            n = None
            if not free_symbols(e.right):
                try:
                    q = to_rational(e.right, limits=limits)
                except DomainError:
                    q = None
                if q is not None and q.denominator == 1:
                    n = int(q)
            if n is not None:
                if abs(n) > limits.max_power:
                    raise DomainError(f"exponent {_short(n)} exceeds the limit {limits.max_power}")
                if n < 0 and lo(a) <= 0 <= hi(a):
                    raise DomainError("negative power of an interval containing 0")
                return finite(a ** n if abs(n) <= 2 else enclose(lambda t: t ** n, a), "a power")
            b = ev(e.right)
            if max(abs(lo(b)), abs(hi(b))) > limits.max_power:
                raise DomainError(f"exponent beyond +-{limits.max_power}")
            if not lo(a) > 0:
                raise DomainError("non-integer power of a possibly non-positive base")
            return finite(expo(b * iv_log(a)), "a power")
        b = ev(e.right)
        if e.op == "+":
            return a + b
        if e.op == "-":
            return a - b
        if e.op == "*":
            return finite(a * b, "a product")
        if lo(b) <= 0 <= hi(b):
            raise DomainError("division by an interval containing 0")
        return finite(a / b, "a quotient")

    return ev(expr)
