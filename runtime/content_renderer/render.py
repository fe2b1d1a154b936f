"""Turns a Markdown content fragment into front matter plus sanitized HTML. Pure: no AWS, no Lambda.

Call it from anywhere (the Lambda handler, the site-deployment seeder, the local preview)::

    from content_renderer.render import FragmentError, render_fragment

    rendered = render_fragment(Path("Home.md").read_text())  # raises FragmentError on broken front matter
    json.dumps(rendered)

The rendered JSON, stored as ``custom-content/content-fragments/<Name>.json`` next to ``<Name>.md``, is::

    {
      "frontMatter": {"title": "Home", "header": "...", ...},   # the YAML front matter, JSON-safe
      "html": "<p>...</p>"                                       # the body, GitHub-flavoured and sanitized
    }

The keys the site reads are ``title``, ``header``, ``tagline``, ``gettingStartedButton``, ``apiListButton``
(``Home``) and ``title`` (``GettingStarted``, ``APIs``); they are always strings. Other keys pass through.

The body is GitHub-flavoured Markdown (tables, fenced code, task lists, autolinks, strikethrough, footnotes,
alerts) with inline HTML allowed, then sanitized with nh3: scripts, styles, event handlers, forms and
``javascript:`` URLs go; links, buttons, images, tables and code survive. Links to other sites open in a new
tab. Table alignment becomes ``align-left|center|right`` classes: the site's CSP forbids inline styles.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import nh3
import yaml
from frontmatter import YAMLHandler
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.gfm import gfm_plugin

MAX_FRAGMENT_BYTES = 1_000_000
STRING_KEYS = ("title", "header", "tagline", "gettingStartedButton", "apiListButton")

_TAGS = nh3.ALLOWED_TAGS | {"button", "input", "section", "picture", "source", "tfoot"}
_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "title", "lang", "dir", "role", "aria-label", "aria-hidden"},
    "a": {"href", "hreflang", "target"},
    "img": {"src", "alt", "width", "height", "loading"},
    "source": {"srcset", "media", "type"},
    "button": {"disabled"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope"},
    "ol": {"start", "reversed"},
    "time": {"datetime"},
    "code": set(),
}
# Task-list boxes are the only inputs, always read-only; a button in a fragment never submits anything.
_ATTRIBUTE_VALUES = {
    "input": {"type": {"checkbox"}, "checked": {"", "checked"}},
    "button": {"type": {"button"}},
}
_FORCED_ATTRIBUTES = {"input": {"disabled": "disabled"}, "button": {"type": "button"}}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}
_ALIGN_CLASSES = {f"text-align:{side}": f"align-{side}" for side in ("left", "center", "right")}


class FragmentError(ValueError):
    """The fragment cannot be rendered; the message says what is wrong and how to fix it."""


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).use(gfm_plugin)

    def alignment_as_class(state: Any) -> None:
        for token in state.tokens:
            if token.type in ("th_open", "td_open"):
                style = token.attrs.pop("style", None)
                if style in _ALIGN_CLASSES:
                    token.attrSet("class", _ALIGN_CLASSES[style])

    def link_open(renderer: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        href = str(token.attrGet("href") or "")
        if href.startswith(("http://", "https://")):
            token.attrSet("target", "_blank")
        return str(renderer.renderToken(tokens, idx, options, env))

    md.core.ruler.push("alignment_as_class", alignment_as_class)
    md.add_render_rule("link_open", link_open)
    return md


_MD = _markdown()


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    handler = YAMLHandler()
    if not handler.detect(text):
        return {}, text
    try:
        raw, body = handler.split(text)
    except ValueError as error:
        raise FragmentError(
            "the front matter opens with '---' but never closes; end it with a line holding only '---'"
        ) from error
    try:
        metadata = handler.load(raw)
    except yaml.YAMLError as error:
        detail = " ".join(str(error).split())
        raise FragmentError(f"the front matter is not valid YAML ({detail}); fix it or remove it") from error
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise FragmentError(
            f"the front matter is a YAML {type(metadata).__name__}, not a mapping; write one 'key: value' per line"
        )
    front = _json_safe(metadata)
    for key in STRING_KEYS:
        value = front.get(key)
        if isinstance(value, dict | list):
            raise FragmentError(f"front matter key {key!r} must be text, got a YAML {type(value).__name__}")
        if value is not None and not isinstance(value, str):
            front[key] = json.dumps(value) if isinstance(value, bool) else str(value)
    return front, body


def sanitize(html: str) -> str:
    """The portal's HTML policy, applied to every rendered fragment."""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags={"script", "style", "template", "iframe", "object", "embed", "noscript"},
        attributes=_ATTRIBUTES,
        tag_attribute_values=_ATTRIBUTE_VALUES,
        set_tag_attribute_values=_FORCED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_only_blank_target,
    )


def _only_blank_target(tag: str, attribute: str, value: str) -> str | None:
    # A link may open a new tab, never a named frame or window.
    if tag == "a" and attribute == "target":
        return "_blank" if value == "_blank" else None
    return value


def render_fragment(text: str | bytes) -> dict[str, Any]:
    """Render one fragment's text (``str`` or UTF-8 ``bytes``) to ``{"frontMatter": {...}, "html": "..."}``.

    Raises FragmentError when the fragment is not UTF-8, is over 1 MB, or has broken front matter.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_FRAGMENT_BYTES:
            raise FragmentError(f"the fragment has {len(text)} bytes; keep it under {MAX_FRAGMENT_BYTES}")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise FragmentError(f"the fragment is not UTF-8 text ({error.reason}); save it as UTF-8") from error
    elif len(text.encode("utf-8")) > MAX_FRAGMENT_BYTES:
        raise FragmentError(f"the fragment is larger than {MAX_FRAGMENT_BYTES} bytes; shorten it")
    front, body = _front_matter(text.lstrip("\ufeff"))
    return {"frontMatter": front, "html": sanitize(_MD.render(body))}
