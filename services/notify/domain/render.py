"""Jinja2 rendering of notices: shipped templates per (channel, kind), or a rule's own template text.

Templates are plain text (no HTML escaping) with StrictUndefined, so a template asking for a fact the notice
does not have fails loudly — at rule creation against the sample facts, or as a failed delivery at send time.
An e-mail template sets its subject with `{% set subjek %}…{% endset %}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from services.notify.domain.kinds import kind_name

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz_/")

_env = jinja2.Environment(
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


def _load(channel: str, subject: str, template: str | None) -> tuple[jinja2.Template, str]:
    try:
        if template is None:
            name = default_template(channel, subject)
            if name is None:
                raise TemplateProblem(f"no shipped {channel} template for {subject}; give the rule a `template`")
            return _env.get_template(name), name
        if set(template) <= _NAME_CHARS and (TEMPLATES / f"{template}.j2").is_file():
            return _env.get_template(f"{template}.j2"), template  # a shipped template named by the rule
        return _env.from_string(template), "custom"
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"template does not parse: {exc.message} (line {exc.lineno})") from exc


def render(channel: str, subject: str, context: dict[str, Any], template: str | None = None) -> Rendered:
    compiled, name = _load(channel, subject, template)
    try:
        module = compiled.make_module(context)
        body = str(module).strip()
        title = str(getattr(module, "subjek", "")).strip()
    except jinja2.UndefinedError as exc:
        raise TemplateProblem(f"template needs a fact this notice lacks: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise TemplateProblem(f"template fails to render: {exc}") from exc
    if not body:
        raise TemplateProblem("template renders an empty message")
    return Rendered(subject=title or "Pemberitahuan Dinas Sosial", body=body, template=name)
