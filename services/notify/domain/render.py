"""Jinja2 rendering of notices: shipped templates per (channel, kind), or a rule's own template text.

Templates are plain text (no HTML escaping) with StrictUndefined, so a template asking for a fact the notice
does not have fails loudly — at rule creation against the sample facts, or as a failed delivery at send time.
An e-mail template sets its subject with `{% set subjek %}…{% endset %}`.

A rule's template is text from a district operator, so every template renders in Jinja2's immutable sandbox: no
underscore attributes (the way out to Python's globals and `os`), no mutating methods. And a template may not
exhaust the process: each render has a budget (`_Budget`) of loop iterations, characters built and time, and an
operation is refused *before* it runs when its inputs could make it build too much (`_check`: a size argument
above 100 000 — the width of `center`/`indent`…, or a width or precision in a format spec, as in
`"".center(10**10)` or `"%99999999d" % 1`; or inputs whose sizes multiply past ten million characters, as in
`s.replace("a", s)`). Other numbers (an amount, a count in the facts, `"{:,}".format(anggaran)`) are data, not
sizes. A value's size counts everything it holds, nested lists included, so lists of lists cannot hide a string
of gigabytes from `str()`. Every call, filter, operator, list/tuple/dict literal, `~`, loop and output goes
through those checks — the last five by rewriting the template's syntax tree (`_Bounded`) to pass through guard
filters. The only global is a counted `range` (no `lipsum`, `cycler`, `joiner`, `namespace`, `dict`). The reasons
a template fails never quote the exception's text, which could carry what the template computed.
"""

from __future__ import annotations

import functools
import inspect
import re
import string
import time
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.filters import do_format
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter, SecurityError
from jinja2.visitor import NodeTransformer

from services.notify.domain.kinds import kind_name

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz_/")
_FACT = re.compile(r"'([A-Za-z_]\w{0,39})' is undefined|has no attribute '([A-Za-z_]\w{0,39})'", re.ASCII)

_MAX_SIZE = 100_000  # longest string or list a value may be; biggest size argument, width or precision
_MAX_WORK = 10_000_000  # most characters one operation may build, judged from its inputs before it runs
_MAX_STEPS = 100_000  # loop iterations and `range` items in one render, all together
_MAX_BUILT = 10_000_000  # characters and items one render may build, all together
_MAX_OUTPUT = 100_000  # characters of a rendered message
_MAX_SECONDS = 1.0  # of one render
# The arguments that size what an operation builds: str methods' widths, filters' widths, lengths and counts.
_SIZED_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_SIZED_FILTERS = frozenset({"center", "indent", "wordwrap", "truncate", "batch", "slice", "tojson"})
# A %-style conversion spec (`%-10s`, `%(nama)08.2f`, `%*d`): its flags, width and precision, without the key.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?([#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d*))?)[hlL]?[diouxXeEfFgGcrsa%]")
_DIGITS = re.compile(r"\d+")


class TooMuch(SecurityError):
    """The template would take more memory or time than a notice may."""


@dataclass
class _Budget:
    steps: int
    built: int
    deadline: float

    def spend(self, *, steps: int = 0, built: int = 0) -> None:
        self.steps -= steps
        self.built -= built
        if self.steps < 0 or self.built < 0 or time.monotonic() > self.deadline:
            raise TooMuch("the template's budget is spent")


# The render in progress. Unset outside `render`, so the compiler's constant folding cannot run a guard early.
_budget: ContextVar[_Budget] = ContextVar("template_budget")


def _size(value: Any, limit: int = _MAX_WORK) -> int:
    """How much a value weighs: a string's or container's length plus all it holds, however deeply nested (what
    `str()` would write, give or take quotes). Counting stops once past `limit`: the answer is then just "more"."""
    total, pending = 0, [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, Mapping):
            total += len(item)
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list | tuple | set | frozenset | KeysView | ValuesView | ItemsView):
            total += len(item)
            pending += item
    return total


def _numbers(arguments: Iterable[Any]) -> list[int]:
    return [abs(a) for a in arguments if isinstance(a, int) and not isinstance(a, bool)]


def _format_widths(text: str, *, percent: bool) -> list[int]:
    """The widths and precisions a format string's conversion specs ask for — never digits of its literal text
    (`"Hubungi 0274-512345 untuk %s"`). A width taken from an argument (`{:{}}`, `%*d`) is refused outright."""
    if percent:
        specs = _PERCENT_SPEC.findall(text)
    else:  # a malformed string raises ValueError here, as its formatting would
        specs = [spec for _, field, spec, _ in string.Formatter().parse(text) if field is not None and spec]
    if any("*" in spec or "{" in spec for spec in specs):
        return [_MAX_SIZE + 1]
    return [int(n) if len(n) <= 7 else _MAX_SIZE + 1 for spec in specs for n in _DIGITS.findall(spec)]


def _check(subject: Any, arguments: Iterable[Any], widths: Iterable[int] = ()) -> None:
    """Refuse an operation whose inputs could make it build too much, before it runs. `widths`: the size
    arguments and format-spec widths of the operation — the numbers that say how much it builds."""
    widths = list(widths)
    if any(w > _MAX_SIZE for w in widths):
        raise TooMuch("a width or size argument is too large")
    sizes = sorted([_size(subject), *(_size(a) for a in arguments), *widths], reverse=True)
    if sizes[0] > _MAX_WORK or (len(sizes) > 1 and sizes[0] * sizes[1] > _MAX_WORK):
        raise TooMuch("the operation would build too much")


def _charged(value: Any) -> Any:
    """An operation's result, charged to the render's budget; a lazy result is charged item by item."""
    if isinstance(value, Iterator):
        return _counted(value)
    if isinstance(value, str | list | tuple | dict) and len(value) > _MAX_SIZE:
        raise TooMuch("a value is too large")
    _budget.get().spend(built=_size(value))
    return value


def _counted(items: Iterable[Any]) -> Iterator[Any]:
    budget = _budget.get()
    for item in items:
        budget.spend(steps=1, built=_size(item))
        yield item


def _range(*args: int) -> range:
    """`range`, its items counted against the render's steps when it is made."""
    _check(None, args, _numbers(args))
    numbers = range(*args)
    _budget.get().spend(steps=len(numbers))
    return numbers


def _fits(value: Any, limit: int = _MAX_SIZE) -> None:
    """Refuse to write a value as text when its text would be too long, before `str()` builds it."""
    if _size(value, limit) > limit:
        raise TooMuch("a value is too large")


def _built(value: Any) -> Any:
    """A list, tuple or dict literal as it is built, charged with all it holds."""
    _fits(value, _MAX_WORK)
    return _charged(value)


def _concat(parts: list[Any]) -> str:
    """`a ~ b ~ c`, refused before the joined text would be too long."""
    _fits(parts)
    texts = [str(p) for p in parts]
    if sum(map(len, texts)) > _MAX_SIZE:
        raise TooMuch("a value is too large")
    return _charged("".join(texts))


def _output(value: Any) -> str:
    """Every piece of output, also into a `{% set %}` block or a macro's result, charged as it is written."""
    _fits(value)
    text = str(value)
    _budget.get().spend(built=len(text))
    return text


def _guarded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that checks its inputs first and charges its result."""
    skip = 1 if hasattr(function, "jinja_pass_arg") else 0  # the context or environment Jinja passes first

    @functools.wraps(function)  # keeps `jinja_pass_arg`
    def guarded(*args: Any, **kwargs: Any) -> Any:
        value, rest = args[skip], [*args[skip + 1 :], *kwargs.values()]
        if name == "format" and isinstance(value, str):
            widths = _format_widths(value, percent=_printf_style(value))
        else:
            widths = _numbers(rest) if name in _SIZED_FILTERS else []
        _check(value, rest, widths)
        return _charged(function(*args, **kwargs))

    return guarded


def _printf_style(text: str) -> bool:
    return _PERCENT_SPEC.search(text) is not None


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    """The `format` filter: printf-style as in Jinja2 (`"%d peserta"|format(n)`), or, for a string without a
    `%` conversion, `str.format`-style (`"Rp {:,.0f}"|format(anggaran)`) — through the sandbox's formatter, which
    refuses `{0.__class__}` as the sandbox refuses `x.__class__`."""
    if isinstance(value, str) and not _printf_style(value):
        return SandboxedFormatter(_env).vformat(value, args, kwargs)
    return do_format(value, *args, **kwargs)


_GUARDS = {"_loop": _counted, "_concat": _concat, "_output": _output, "_built": _built}


class _Bounded(NodeTransformer):
    """Rewrites a parsed template so loops, `~` and output pass through the guards (syntax has no other hook)."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _filter(node.iter, "_loop")
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _filter(nodes.List(node.nodes, lineno=node.lineno), "_concat")

    def visit_List(self, node: nodes.List) -> nodes.Node:
        self.generic_visit(node)
        return _filter(node, "_built")

    visit_Dict = visit_List

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        self.generic_visit(node)
        return _filter(node, "_built") if node.ctx == "load" else node  # not `{% for k, v in … %}`'s names

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        node.nodes = [
            _filter(nodes.Const(n.data, lineno=n.lineno) if isinstance(n, nodes.TemplateData) else n, "_output")
            for n in node.nodes
        ]
        return node


def _filter(node: nodes.Node, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


class _Generator(CodeGenerator):
    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        super().visit_Template(_Bounded().visit(node), frame)


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with every call, filter and operator checked against the render's budget."""

    code_generator_class = _Generator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if _huge(operator, left, right):
            raise TooMuch(f"the result of {operator} is too large")
        if operator == "%" and isinstance(left, str):
            _check(left, [right], _format_widths(left, percent=True))
        return _charged(super().call_binop(context, operator, left, right))

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        method = inspect.unwrap(__obj)  # str.format comes wrapped by the sandbox's safe formatter
        receiver = getattr(method, "__self__", None)
        name, arguments = getattr(method, "__name__", ""), [*args, *kwargs.values()]
        if isinstance(receiver, str) and name in ("format", "format_map"):
            widths = _format_widths(receiver, percent=False)
        else:
            widths = _numbers(arguments) if isinstance(receiver, str) and name in _SIZED_METHODS else []
        _check(receiver, arguments, widths)
        if isinstance(__obj, jinja2.runtime.LoopContext) and args:  # `loop(children)` in a recursive for: counted too
            args = (_counted(args[0]), *args[1:])
        return _charged(super().call(__context, __obj, *args, **kwargs))


def _huge(operator: str, left: Any, right: Any) -> bool:
    """Whether `left <operator> right` would build a number, string or list big enough to exhaust the process."""
    if operator == "**":
        both_int = isinstance(left, int) and isinstance(right, int)
        return both_int and abs(left) > 1 and right * abs(left).bit_length() > _MAX_SIZE * 4
    if operator != "*":
        return False
    count, items = (left, right) if isinstance(left, int) else (right, left)
    return isinstance(count, int) and isinstance(items, str | list | tuple) and count * _size(items) > _MAX_SIZE


_env = _Sandbox(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.clear()
_env.globals["range"] = _range
_env.filters = {**{name: _guarded(name, f) for name, f in {**_env.filters, "format": _format}.items()}, **_GUARDS}


class TemplateProblem(ValueError):
    pass


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    template: str


def default_template(channel: str, subject: str) -> str | None:
    """The shipped template's name for a notice on a channel, if there is one."""
    name = f"{channel}/{kind_name(subject)}.j2"
    return name if (TEMPLATES / name).is_file() else None


def _shipped(template: str) -> bool:
    """Whether a rule's `template` names a shipped template rather than being Jinja2 text."""
    return set(template) <= _NAME_CHARS and (TEMPLATES / f"{template}.j2").is_file()


def template_label(template: str | None) -> str:
    """How deliveries and events name a rule's template: its text is the operator's, and stays in the rule."""
    if template is None:
        return ""
    return template if _shipped(template) else "custom"


def _load(channel: str, subject: str, template: str | None) -> tuple[jinja2.Template, str]:
    try:
        if template is None:
            name = default_template(channel, subject)
            if name is None:
                raise TemplateProblem(f"no shipped {channel} template for {subject}; give the rule a `template`")
            return _env.get_template(name), name
        if _shipped(template):
            return _env.get_template(f"{template}.j2"), template  # a shipped template named by the rule
        return _env.from_string(template), "custom"
    except jinja2.TemplateSyntaxError as exc:
        # Parsing runs nothing, so its message can only quote the template's own text.
        raise TemplateProblem(f"template does not parse: {exc.message or 'syntax error'} (line {exc.lineno})") from exc
    except (jinja2.TemplateError, RecursionError, MemoryError, ValueError) as exc:
        raise TemplateProblem("template does not compile") from exc


def render(
    channel: str, subject: str, context: dict[str, Any], template: str | None = None, *, deadline: float | None = None
) -> Rendered:
    """The notice's message; `deadline` (a `time.monotonic()` instant) ends the render sooner than its own second,
    when the caller has less time left for all of a notice's messages."""
    compiled, name = _load(channel, subject, template)
    ends = min(time.monotonic() + _MAX_SECONDS, deadline or float("inf"))
    budget = _budget.set(_Budget(steps=_MAX_STEPS, built=_MAX_BUILT, deadline=ends))
    try:
        facts = compiled.new_context(context)
        pieces: list[str] = []
        length = 0
        for piece in compiled.root_render_func(facts):  # output arrives piece by piece: stop at the cap
            length += len(piece)
            if length > _MAX_OUTPUT:
                raise TooMuch("the message is too long")
            pieces.append(piece)
        body = "".join(pieces).strip()
        title = str(facts.get_exported().get("subjek", "")).strip()
    except jinja2.UndefinedError as exc:
        raise TemplateProblem(f"template needs a fact this notice lacks{_fact(exc)}") from exc
    except TooMuch as exc:
        raise TemplateProblem(
            "template may not take this much memory or time (too many loop rounds, too long a text or list, "
            "or too large a number)"
        ) from exc
    except SecurityError as exc:
        raise TemplateProblem(
            "template uses something templates may not (underscore names, methods that change data)"
        ) from exc
    except Exception as exc:  # any error a template can raise (TypeError, ZeroDivisionError, …): never its text
        raise TemplateProblem(f"template fails to render ({type(exc).__name__})") from exc
    finally:
        _budget.reset(budget)
    if not body:
        raise TemplateProblem("template renders an empty message")
    return Rendered(subject=title or "Pemberitahuan Dinas Sosial", body=body, template=name)


def _fact(exc: jinja2.UndefinedError) -> str:
    """The missing fact's name when it is a plain name; never a value the template computed."""
    found = _FACT.search(exc.message or "")
    return f": {found.group(1) or found.group(2)}" if found else ""
