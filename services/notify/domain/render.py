"""Jinja2 rendering of notices: shipped templates per (channel, kind), or a rule's own template text.

Templates are plain text (no HTML escaping) with StrictUndefined, so a template asking for a fact the notice
does not have fails loudly — at rule creation against the sample facts, or as a failed delivery at send time.
An e-mail template sets its subject with `{% set subjek %}…{% endset %}`.

A rule's template is text from a district operator, so every template renders in Jinja2's immutable sandbox: no
underscore attributes (the way out to Python's globals and `os`), no str.format escapes, no mutating methods,
and no huge powers or repetitions. The reasons a template fails never quote the exception's text, which could
carry what the template computed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from services.notify.domain.kinds import kind_name

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz_/")
_MAX_SIZE = 100_000  # longest string or list `*` may build, biggest number `**` may compute (in digits)
_FACT = re.compile(r"'([A-Za-z_]\w{0,39})' is undefined|has no attribute '([A-Za-z_]\w{0,39})'", re.ASCII)


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, which also refuses `*` and `**` results big enough to exhaust the process."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if _huge(operator, left, right):
            raise jinja2.sandbox.SecurityError(f"the result of {operator} is too large")
        return super().call_binop(context, operator, left, right)


def _huge(operator: str, left: Any, right: Any) -> bool:
    """Whether `left <operator> right` would build a number, string or list big enough to exhaust the process."""
    if operator == "**":
        both_int = isinstance(left, int) and isinstance(right, int)
        return both_int and abs(left) > 1 and right * abs(left).bit_length() > _MAX_SIZE * 4
    count, items = (left, right) if isinstance(left, int) else (right, left)
    return isinstance(count, int) and isinstance(items, str | list | tuple) and count * len(items) > _MAX_SIZE


_env = _Sandbox(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


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


def render(channel: str, subject: str, context: dict[str, Any], template: str | None = None) -> Rendered:
    compiled, name = _load(channel, subject, template)
    try:
        module = compiled.make_module(context)
        body = str(module).strip()
        title = str(getattr(module, "subjek", "")).strip()
    except jinja2.UndefinedError as exc:
        raise TemplateProblem(f"template needs a fact this notice lacks{_fact(exc)}") from exc
    except jinja2.sandbox.SecurityError as exc:
        raise TemplateProblem(
            "template uses something templates may not (underscore names, methods "
            "that change data, str.format, huge numbers or repetitions)"
        ) from exc
    except Exception as exc:  # any error a template can raise (TypeError, ZeroDivisionError, …): never its text
        raise TemplateProblem(f"template fails to render ({type(exc).__name__})") from exc
    if not body:
        raise TemplateProblem("template renders an empty message")
    return Rendered(subject=title or "Pemberitahuan Dinas Sosial", body=body, template=name)


def _fact(exc: jinja2.UndefinedError) -> str:
    """The missing fact's name when it is a plain name; never a value the template computed."""
    found = _FACT.search(exc.message or "")
    return f": {found.group(1) or found.group(2)}" if found else ""
