"""The content renderer: front matter, GitHub-flavoured Markdown, sanitizing, and the S3-triggered handler."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "site-bucket"
FRAGMENTS = "custom-content/content-fragments/"

HOME = """---
title: Acme APIs
header: Build with Acme
tagline: Everything you need.
gettingStartedButton: Start here
apiListButton: See the APIs
---
Welcome.
"""


def render(text: str | bytes) -> dict:
    from content_renderer.render import render_fragment

    return render_fragment(text)


# --- front matter -------------------------------------------------------------------------------------


def test_every_home_front_matter_key_is_kept():
    # Given the Home fragment with all five keys
    # When it is rendered
    rendered = render(HOME)
    # Then each key is in the front matter, and the body is HTML
    assert rendered["frontMatter"] == {
        "title": "Acme APIs",
        "header": "Build with Acme",
        "tagline": "Everything you need.",
        "gettingStartedButton": "Start here",
        "apiListButton": "See the APIs",
    }
    assert rendered["html"] == "<p>Welcome.</p>\n"


@pytest.mark.parametrize("name", ["GettingStarted", "APIs"])
def test_title_of_the_other_fragments_is_kept(name):
    rendered = render(f"---\ntitle: My {name}\n---\nBody")
    assert rendered["frontMatter"] == {"title": f"My {name}"}


def test_non_text_values_of_known_keys_become_text_and_dates_become_iso():
    rendered = render("---\ntitle: 2024\nheader: true\npublished: 2024-05-01\n---\n")
    assert rendered["frontMatter"] == {"title": "2024", "header": "true", "published": "2024-05-01"}


def test_a_fragment_without_front_matter_has_an_empty_one():
    rendered = render("# Only a body")
    assert rendered == {"frontMatter": {}, "html": "<h1>Only a body</h1>\n"}


def test_the_default_fragments_render_with_their_keys():
    from content_renderer.render import render_fragment

    folder = ROOT / "site" / "custom-content" / "content-fragments"
    home = render_fragment((folder / "Home.md").read_bytes())
    assert {"title", "header", "tagline", "gettingStartedButton", "apiListButton"} <= home["frontMatter"].keys()
    assert "<table>" in home["html"] and "<button" in home["html"]
    assert render_fragment((folder / "GettingStarted.md").read_text())["frontMatter"]["title"] == "Getting Started"
    assert render_fragment((folder / "APIs.md").read_text())["frontMatter"]["title"] == "APIs"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("---\ntitle: [unclosed\n---\nbody", "not valid YAML"),
        ("---\n- a\n- b\n---\nbody", "is a YAML list, not a mapping"),
        ("---\ntitle: Home\nno closing line", "never closes"),
        ("---\ntitle:\n  nested: map\n---\n", "'title' must be text"),
    ],
)
def test_fails_when_the_front_matter_is_broken(text, problem):
    from content_renderer.render import FragmentError

    with pytest.raises(FragmentError, match=problem):
        render(text)


def test_fails_when_the_fragment_is_not_utf8():
    from content_renderer.render import FragmentError

    with pytest.raises(FragmentError, match="not UTF-8 text"):
        render("---\ntitle: Caf\xe9\n---\n".encode("latin-1"))


# --- GitHub-flavoured Markdown ---------------------------------------------------------------------------


def test_tables_render_with_alignment_as_classes():
    html = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n")["html"]
    assert "<table>" in html
    assert '<th class="align-left">a</th>' in html
    assert '<td class="align-center">2</td>' in html
    assert '<td class="align-right">3</td>' in html
    assert "style=" not in html


def test_fenced_code_keeps_its_language_and_escapes_its_content():
    html = render("```python\nprint('<b>')\n```\n")["html"]
    assert html == "<pre><code class=\"language-python\">print('&lt;b&gt;')\n</code></pre>\n"


def test_task_lists_render_read_only_checkboxes():
    html = render("- [x] done\n- [ ] todo\n")["html"]
    assert html.count('type="checkbox"') == 2
    assert html.count('disabled="disabled"') == 2
    assert html.count("checked") == 1


def test_bare_urls_and_www_become_links_and_external_links_open_safely():
    html = render("See https://example.com/docs and www.example.org or [home](/).\n")["html"]
    assert '<a href="https://example.com/docs" target="_blank" rel="noopener noreferrer">' in html
    assert '<a href="http://www.example.org" target="_blank" rel="noopener noreferrer">' in html
    assert '<a href="/" rel="noopener noreferrer">home</a>' in html


def test_strikethrough_and_inline_html_survive():
    html = render("~~old~~ <kbd>Ctrl</kbd> <mark>new</mark>\n")["html"]
    assert "<s>old</s>" in html and "<kbd>Ctrl</kbd>" in html and "<mark>new</mark>" in html


def test_a_button_inside_a_link_survives_but_cannot_submit():
    html = render('<a href="/apis"><button class="cta">Browse</button></a>\n')["html"]
    assert '<a href="/apis" rel="noopener noreferrer"><button class="cta" type="button">Browse</button></a>' in html


def test_images_survive_with_their_alt_text():
    html = render('![Our logo](/custom-content/nav-logo.png "Logo")\n\n<img src="/x.png" alt="X" width="20">\n')["html"]
    assert '<img src="/custom-content/nav-logo.png" alt="Our logo" title="Logo">' in html
    assert '<img src="/x.png" alt="X" width="20">' in html


# --- sanitizing ----------------------------------------------------------------------------------------


def test_scripts_are_removed_with_their_content():
    html = render("Hi\n\n<script>alert('x')</script>\n\ninline <script>steal()</script> end\n")["html"]
    assert "script" not in html and "alert" not in html and "steal" not in html


def test_event_handlers_are_removed():
    html = render('<img src="/a.png" alt="a" onerror="alert(1)">\n<p onclick="x()" onmouseover="y()">p</p>\n')["html"]
    assert "onerror" not in html and "onclick" not in html and "onmouseover" not in html
    assert '<img src="/a.png" alt="a">' in html


def test_javascript_urls_are_removed():
    html = render('<a href="javascript:alert(1)">a</a> <a href="JaVaScRiPt:alert(2)">b</a> [c](javascript:alert(3))\n')[
        "html"
    ]
    assert 'href="javascript' not in html.lower()
    assert '<a rel="noopener noreferrer">a</a>' in html


def test_styles_forms_frames_and_data_urls_are_removed():
    html = render(
        '<style>body{display:none}</style><iframe src="https://evil.example"></iframe>'
        '<form action="https://evil.example"><input type="password"></form>'
        '<div style="position:fixed">d</div><img src="data:image/png;base64,AAAA" alt="d">\n'
    )["html"]
    for banned in ("<style", "display:none", "<iframe", "<form", "password", "style=", "data:"):
        assert banned not in html


# --- the handler ---------------------------------------------------------------------------------------


def s3_event(*keys: str, event_name: str = "ObjectCreated:Put") -> dict:
    return {
        "Records": [
            {"eventName": event_name, "s3": {"bucket": {"name": BUCKET}, "object": {"key": key}}} for key in keys
        ]
    }


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class FakeContext:
    function_name = "content-renderer"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:content-renderer"
    aws_request_id = "request-1"
    log_stream_name = "stream"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> FakeContext:
    return FakeContext()


@pytest.fixture
def s3() -> Iterator[object]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def logged() -> Iterator[_Records]:
    handler = _Records()
    logger = logging.getLogger("devportal")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def read_json(s3, key: str) -> dict:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def test_handler_writes_the_rendering_next_to_the_uploaded_fragment(s3, lambda_context):
    # Given an operator uploaded Home.md
    s3.put_object(Bucket=BUCKET, Key=f"{FRAGMENTS}Home.md", Body=HOME.encode())
    from content_renderer.handler import lambda_handler

    # When S3 tells the renderer
    result = lambda_handler(s3_event(f"{FRAGMENTS}Home.md"), lambda_context)

    # Then Home.json holds the front matter and the HTML, served as JSON
    assert result == {"rendered": [f"{FRAGMENTS}Home.json"], "kept": [], "logos": []}
    assert read_json(s3, f"{FRAGMENTS}Home.json") == render(HOME)
    head = s3.head_object(Bucket=BUCKET, Key=f"{FRAGMENTS}Home.json")
    assert head["ContentType"] == "application/json; charset=utf-8"


def test_handler_decodes_keys_and_ignores_what_is_not_a_fragment(s3, lambda_context):
    s3.put_object(Bucket=BUCKET, Key=f"{FRAGMENTS}Getting Started.md", Body=b"---\ntitle: Go\n---\n")
    from content_renderer.handler import lambda_handler

    result = lambda_handler(
        s3_event(f"{FRAGMENTS}Getting+Started.md", f"{FRAGMENTS}nested/Other.md", "custom-content/styles.css"),
        lambda_context,
    )

    assert result["rendered"] == [f"{FRAGMENTS}Getting Started.json"]
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert f"{FRAGMENTS}nested/Other.json" not in keys


def test_broken_front_matter_keeps_the_last_good_rendering_and_logs_the_file_and_problem(s3, lambda_context, logged):
    # Given a good rendering of Home, then an upload of Home.md with broken front matter
    from content_renderer.handler import lambda_handler

    s3.put_object(Bucket=BUCKET, Key=f"{FRAGMENTS}Home.md", Body=HOME.encode())
    lambda_handler(s3_event(f"{FRAGMENTS}Home.md"), lambda_context)
    good = read_json(s3, f"{FRAGMENTS}Home.json")
    s3.put_object(Bucket=BUCKET, Key=f"{FRAGMENTS}Home.md", Body=b"---\ntitle: [oops\n---\nNew body")

    # When the renderer runs on it
    result = lambda_handler(s3_event(f"{FRAGMENTS}Home.md"), lambda_context)

    # Then Home.json is untouched, and an error names the file and what is wrong
    assert read_json(s3, f"{FRAGMENTS}Home.json") == good
    assert result["rendered"] == []
    assert result["kept"][0]["file"] == f"{FRAGMENTS}Home.md"
    errors = [record for record in logged.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert f"s3://{BUCKET}/{FRAGMENTS}Home.md" in message
    assert "not valid YAML" in message


def test_handler_invalidates_what_it_rendered_when_it_knows_the_distribution(s3, lambda_context, monkeypatch):
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    distribution_id = create_distribution(cloudfront)
    monkeypatch.setenv("DISTRIBUTION_ID", distribution_id)
    s3.put_object(Bucket=BUCKET, Key=f"{FRAGMENTS}APIs.md", Body=b"---\ntitle: Our APIs\n---\n")
    from content_renderer.handler import lambda_handler

    lambda_handler(s3_event(f"{FRAGMENTS}APIs.md"), lambda_context)

    invalidations = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"]["Items"]
    assert len(invalidations) == 1
    batch = cloudfront.get_invalidation(DistributionId=distribution_id, Id=invalidations[0]["Id"])
    assert batch["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == [f"/{FRAGMENTS}APIs.json"]


def create_distribution(cloudfront) -> str:
    return cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "test",
            "Comment": "",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": f"{BUCKET}.s3.amazonaws.com"}]},
            "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https"},
        }
    )["Distribution"]["Id"]


# --- the API logos' manifest -------------------------------------------------------------------------------

LOGOS = "custom-content/api-logos/"


def test_a_logo_upload_lists_it_in_the_manifest_and_invalidates_both(s3, lambda_context, monkeypatch):
    # Given the default logo, and an operator who uploads the logo of one stage
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    distribution_id = create_distribution(cloudfront)
    monkeypatch.setenv("DISTRIBUTION_ID", distribution_id)
    s3.put_object(Bucket=BUCKET, Key=f"{LOGOS}default.png", Body=b"png")
    s3.put_object(Bucket=BUCKET, Key=f"{LOGOS}a1b2c3d4e5_prod.png", Body=b"png")
    from content_renderer.handler import lambda_handler

    # When S3 tells the renderer
    result = lambda_handler(s3_event(f"{LOGOS}a1b2c3d4e5_prod.png"), lambda_context)

    # Then the manifest lists that stage alone, and CloudFront forgets the logo and the manifest
    assert result["logos"] == [f"{LOGOS}index.json"]
    assert read_json(s3, f"{LOGOS}index.json") == {"version": 1, "logos": ["a1b2c3d4e5_prod"]}
    (item,) = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"]["Items"]
    batch = cloudfront.get_invalidation(DistributionId=distribution_id, Id=item["Id"])
    assert sorted(batch["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]) == [
        f"/{LOGOS}a1b2c3d4e5_prod.png",
        f"/{LOGOS}index.json",
    ]


def test_a_removed_logo_leaves_the_manifest(s3, lambda_context):
    from content_renderer.handler import lambda_handler

    for name in ("a1b2c3d4e5_prod", "zz99zz99zz_dev"):
        s3.put_object(Bucket=BUCKET, Key=f"{LOGOS}{name}.png", Body=b"png")
    lambda_handler(s3_event(f"{LOGOS}zz99zz99zz_dev.png"), lambda_context)
    s3.delete_object(Bucket=BUCKET, Key=f"{LOGOS}zz99zz99zz_dev.png")

    lambda_handler(s3_event(f"{LOGOS}zz99zz99zz_dev.png", event_name="ObjectRemoved:Delete"), lambda_context)

    assert read_json(s3, f"{LOGOS}index.json") == {"version": 1, "logos": ["a1b2c3d4e5_prod"]}


def test_the_manifest_is_rewritten_only_when_it_changes_and_ignores_other_files(s3, lambda_context):
    from content_renderer.handler import lambda_handler

    s3.put_object(Bucket=BUCKET, Key=f"{LOGOS}a1b2c3d4e5_prod.png", Body=b"png")
    s3.put_object(Bucket=BUCKET, Key=f"{LOGOS}old/b1b2c3d4e5_prod.png", Body=b"png")
    s3.put_object(Bucket=BUCKET, Key=f"{LOGOS}notes.txt", Body=b"text")
    assert lambda_handler(s3_event(f"{LOGOS}a1b2c3d4e5_prod.png"), lambda_context)["logos"] == [f"{LOGOS}index.json"]

    # When the same upload is announced again, or something that is not a logo
    again = lambda_handler(s3_event(f"{LOGOS}a1b2c3d4e5_prod.png", f"{LOGOS}index.json"), lambda_context)

    # Then nothing is written: nested folders and other files are not logos
    assert again["logos"] == []
    assert read_json(s3, f"{LOGOS}index.json") == {"version": 1, "logos": ["a1b2c3d4e5_prod"]}
