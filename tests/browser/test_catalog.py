"""Catalog journeys on the session's preview: the APIs page and its search, an API's page with its tiers and
Swagger UI's Try it out, and the admin's Admin → APIs page.

The preview publishes the sample PetStore (stages ``dev`` in plan Free, ``prod`` in Free and Pro). This module
adds a generic Weather API whose server this portal's CSP does not allow, and gives each API a logo, so that
the pages load no missing file (every 404 is a console error).
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LIVE_STATUS, RunningPreview, page_errors
from tests.browser.test_accounts import confirm, refusals_aside, register, sign_in, sign_in_as_admin
from tests.browser.test_home import png

pytestmark = pytest.mark.browser

PASSWORD = "Correct-Horse-42-Battery"
UNREACHABLE = "http://127.0.0.1:9"
WEATHER = {
    "openapi": "3.1.0",
    "info": {"title": "Weather", "version": "2.1", "description": "Forecasts for any city."},
    "servers": [{"url": f"{UNREACHABLE}/weather"}],
    "tags": [{"name": "forecasts"}],
    "paths": {
        "/forecast/{city}": {
            "get": {
                "summary": "The forecast for a city",
                "parameters": [{"name": "city", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "Tomorrow's weather"}},
            }
        }
    },
}


def wait_for(condition: Callable[[], Any], what: str, seconds: float = 60) -> Any:
    """Wait for the preview's catalog updater, which publishes shortly after a change."""
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"the preview never showed {what}")
        time.sleep(0.2)
    return found


def published(portal: RunningPreview) -> dict[str, Any]:
    with urllib.request.urlopen(f"{portal.url}/api/catalog", timeout=10) as response:
        return dict(json.loads(response.read()))


def entry(portal: RunningPreview, title: str, stage: str | None = None) -> dict[str, Any] | None:
    catalog = published(portal)
    return next(
        (
            item
            for item in [*catalog["apis"], *catalog["generic"]]
            if item["title"] == title and item.get("stage") == stage
        ),
        None,
    )


@pytest.fixture(scope="module")
def apis(portal: RunningPreview) -> Iterator[dict[str, dict[str, Any]]]:
    """The published PetStore stages and the Weather API, each with a logo in custom-content/api-logos/; the
    Weather API and the logos are removed afterwards."""
    ids = portal.emulation()
    s3 = portal.aws("s3")
    s3.put_object(Bucket=ids["buckets"]["artifacts"], Key="catalog/weather.json", Body=json.dumps(WEATHER).encode())
    found = {
        "dev": wait_for(lambda: entry(portal, "PetStore", "dev"), "the PetStore's dev stage"),
        "prod": wait_for(lambda: entry(portal, "PetStore", "prod"), "the PetStore's prod stage"),
        "weather": wait_for(lambda: entry(portal, "Weather"), "the Weather API"),
    }
    for item in found.values():
        s3.put_object(
            Bucket=ids["buckets"]["site"], Key=item["logo"].lstrip("/"), Body=png(8, 8), ContentType="image/png"
        )
    yield found
    s3.delete_object(Bucket=ids["buckets"]["artifacts"], Key="catalog/weather.json")
    for item in found.values():
        s3.delete_object(Bucket=ids["buckets"]["site"], Key=item["logo"].lstrip("/"))


@pytest.fixture
def visitor(browser: Any) -> Iterator[Any]:
    """Another person's browser, signed out."""
    context = browser.new_context()
    opened = context.new_page()
    opened.devportal_errors = []
    opened.on("console", lambda message: message.type == "error" and opened.devportal_errors.append(message.text))
    opened.on("pageerror", lambda error: opened.devportal_errors.append(f"uncaught: {error}"))
    yield opened
    context.close()


def card(page: Any, label: str) -> Any:
    return page.locator(".api-card").filter(has=page.get_by_role("link", name=label, exact=True))


def tier(page: Any, name: str) -> Any:
    return page.locator(".plan-tier").filter(has=page.get_by_role("heading", name=name))


def operation(page: Any, summary: str) -> Any:
    return page.locator(".opblock").filter(has_text=summary)


def stage_switch(page: Any, stage: str) -> Any:
    return page.get_by_role("switch", name=f"Displayed: PetStore {stage}").first


def test_an_anonymous_visitor_browses_the_apis_and_reads_an_operations_docs(
    page: Any, portal: RunningPreview, apis: dict[str, dict[str, Any]]
) -> None:
    # Given a visitor who is not signed in, on the APIs page
    page.goto(f"{portal.url}/apis")
    # Then the sidebar groups the PetStore's stages under it, with each stage's plan tiers
    sidebar = page.get_by_role("complementary", name="APIs")
    expect(sidebar).to_contain_text("PetStore")
    expect(sidebar.get_by_role("link", name="prod")).to_be_visible()
    expect(sidebar.locator("ul ul li", has=page.get_by_role("link", name="prod"))).to_contain_text("Free, Pro")
    expect(card(page, "Weather")).to_contain_text("Forecasts for any city.")
    # When they open the prod stage and expand an operation
    card(page, "PetStore · prod").get_by_role("link").click()
    expect(page).to_have_url(f"{portal.url}/apis/{apis['prod']['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("PetStore prod")
    expect(page.locator(".api-header")).to_contain_text("Version 1.0.0 · OpenAPI 3.0.3")
    expect(page.locator(".api-endpoint")).to_have_text(f"{portal.url}/sample-api/prod")
    logo = page.locator("img.api-logo")
    expect(logo).to_have_attribute("src", f"/custom-content/api-logos/{apis['prod']['id']}.png")
    page.wait_for_function("() => document.querySelector('img.api-logo').naturalWidth === 8")
    operation(page, "List the pets for sale").locator(".opblock-summary").click()
    # Then the operation's docs show: its responses and the schema of what it returns
    docs = operation(page, "List the pets for sale")
    expect(docs).to_contain_text("The pets")
    expect(docs).to_contain_text("application/json")
    expect(tier(page, "Free").get_by_role("link", name="Sign in to subscribe")).to_be_visible()
    expect(page.get_by_text("Sign in and subscribe to a plan to try these operations")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert page_errors(page) == []


def test_a_stage_in_two_usage_plans_shows_both_tiers_on_its_api_page(
    page: Any, portal: RunningPreview, apis: dict[str, dict[str, Any]]
) -> None:
    # Given the prod stage, which the Free and Pro plans both include
    # When a visitor opens its page
    page.goto(f"{portal.url}/apis/{apis['prod']['id']}")
    # Then both tiers show, each with its own throttle and quota
    expect(page.locator(".plan-tier")).to_have_count(2)
    expect(tier(page, "Free")).to_contain_text("10 requests a second, bursts of 20")
    expect(tier(page, "Free")).to_contain_text("1,000 requests a day")
    expect(tier(page, "Pro")).to_contain_text("100 requests a second, bursts of 200")
    expect(tier(page, "Pro")).to_contain_text("100,000 requests a month")
    # And the dev stage, in Free only, shows that one tier
    page.get_by_role("complementary", name="APIs").get_by_role("link", name="dev").click()
    expect(page).to_have_url(f"{portal.url}/apis/{apis['dev']['id']}")
    expect(page.locator(".plan-tier")).to_have_count(1)
    expect(tier(page, "Free")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert page_errors(page) == []


def test_search_finds_an_api_by_one_of_its_paths(
    page: Any, portal: RunningPreview, apis: dict[str, dict[str, Any]]
) -> None:
    # Given the APIs page listing the PetStore's two stages and the Weather API
    page.goto(f"{portal.url}/apis")
    expect(page.locator(".api-card")).to_have_count(3)
    search = page.get_by_role("searchbox", name="Search APIs")
    # When the visitor searches for one of the Weather API's paths
    search.fill("/forecast")
    # Then only the Weather API is listed, with the path it matched, in the main list and the sidebar
    expect(page.locator(".api-card")).to_have_count(1)
    expect(card(page, "Weather")).to_contain_text("Matches /forecast/{city}")
    expect(page.get_by_role("complementary", name="APIs")).not_to_contain_text("PetStore")
    expect(page).to_have_url(f"{portal.url}/apis?q=%2Fforecast")
    # When they search for a path of the PetStore, then for nothing any API has
    search.fill("pets/{petId}")
    expect(page.locator(".api-card")).to_have_count(2)
    expect(card(page, "PetStore · dev")).to_contain_text("Matches /pets/{petId}")
    search.fill("/no-such-path")
    expect(page.locator(".api-card")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("No API matches “/no-such-path”")
    # And a link with the query opens the page filtered
    page.goto(f"{portal.url}/apis?q=forecasts")
    expect(page.locator(".api-card")).to_have_count(1)
    expect(search).to_have_value("forecasts")
    assert page_errors(page) == []


def test_a_signed_in_user_subscribes_and_tries_an_operation_with_their_key(
    page: Any, portal: RunningPreview, apis: dict[str, dict[str, Any]]
) -> None:
    # Given a developer who registered with the code from the outbox and signed in on the prod stage's page
    email = f"catalog-{uuid.uuid4().hex[:8]}@example.com"
    register(page, portal, email, PASSWORD)
    confirm(page, portal, email)
    prod = f"/apis/{apis['prod']['id']}"
    page.goto(f"{portal.url}/sign-in?next={prod}")
    sign_in(page, portal, email, PASSWORD, go=False)
    expect(page).to_have_url(f"{portal.url}{prod}")
    expect(page.get_by_text("Subscribe to a plan above: Try it out then sends your API key.")).to_be_visible()
    # When they subscribe to the Free plan
    page.get_by_role("button", name="Subscribe to Free").click()
    # Then the page says so, and marks the tier
    expect(page.get_by_role("status").filter(has_text="You are subscribed to Free.")).to_be_visible()
    expect(tier(page, "Free")).to_contain_text("Subscribed")
    expect(page.get_by_text("Try it out sends your API key (x-api-key).")).to_be_visible()
    # When they try GET /pets
    pets = operation(page, "List the pets for sale")
    pets.locator(".opblock-summary").click()
    pets.get_by_role("button", name="Try it out").click()
    pets.get_by_role("button", name="Execute").click()
    # Then the sample API answers 200 with the pets, to a call that carried their own key
    expect(pets.locator(LIVE_STATUS)).to_have_text("200")
    expect(pets.locator(".live-responses-table")).to_contain_text('"type": "dog"')
    key = page.evaluate("async () => (await (await import('/app/api.js')).api('/apikey?reveal=true')).value")
    expect(pets.locator(".curl-command")).to_contain_text(f"x-api-key: {key}")
    # When they move to the Pro tier of the same stage
    page.get_by_role("button", name="Subscribe to Pro").click()
    # Then Pro replaces Free
    expect(
        page.get_by_role("status").filter(has_text="You are subscribed to Pro, which replaces Free.")
    ).to_be_visible()
    expect(tier(page, "Pro")).to_contain_text("Subscribed")
    expect(tier(page, "Free").get_by_role("button", name="Subscribe to Free")).to_be_visible()
    assert page_errors(page) == []


def test_try_it_out_says_what_to_fix_when_the_portal_may_not_call_the_api(
    page: Any, portal: RunningPreview, apis: dict[str, dict[str, Any]]
) -> None:
    # Given the Weather API, whose server this portal's CSP does not list in connect-src
    page.goto(f"{portal.url}/apis/{apis['weather']['id']}")
    forecast = operation(page, "The forecast for a city")
    forecast.locator(".opblock-summary").click()
    forecast.get_by_role("button", name="Try it out").click()
    forecast.get_by_placeholder("city").fill("Paris")
    # When the visitor executes the call
    forecast.get_by_role("button", name="Execute").click()
    # Then the portal says the CSP refused it and how an operator allows it
    problem = page.locator(".try-it-problem")
    expect(problem).to_contain_text(f"Content-Security-Policy does not allow calls to {UNREACHABLE}")
    expect(problem).to_contain_text("add_connect_source")
    # And the only console errors are the browser's report of that refusal
    assert page_errors(page), "the CSP refusal should have been reported by the browser"
    assert all("Content Security Policy" in error for error in page_errors(page)), page_errors(page)


def test_the_admin_hides_a_stage_and_it_disappears_for_users_then_shows_it_again(
    page: Any, visitor: Any, portal: RunningPreview, apis: dict[str, dict[str, Any]], request: pytest.FixtureRequest
) -> None:
    # Showing exports the stage from API Gateway; the seeded spec goes back afterwards, whatever happened.
    dev = apis["dev"]
    artifacts = portal.emulation()["buckets"]["artifacts"]
    seeded = portal.aws("s3").get_object(Bucket=artifacts, Key=dev["source"])["Body"].read()
    request.addfinalizer(lambda: portal.aws("s3").put_object(Bucket=artifacts, Key=dev["source"], Body=seeded))
    # Given the admin on Admin → APIs, where the dev stage is listed under its usage plan, displayed
    sign_in_as_admin(page, portal, "/admin/apis")
    free = page.get_by_role("region", name="Usage plan Free")
    expect(free.get_by_role("row").filter(has_text="dev")).to_be_visible()
    expect(stage_switch(page, "dev")).to_be_checked()
    # When they switch Displayed off, the page warns that subscribers' keys keep working, and they confirm
    stage_switch(page, "dev").click()
    warning = page.get_by_role("dialog")
    expect(warning).to_contain_text("keys subscribed to Free keep working for it")
    warning.get_by_role("button", name="Hide").click()
    # Then the page reports the stage hidden once the catalog shows it
    expect(page.get_by_role("status").filter(has_text="is hidden. The catalog is updated.")).to_be_visible(
        timeout=30_000
    )
    expect(stage_switch(page, "dev")).not_to_be_checked()
    # And a visitor no longer finds it
    visitor.goto(f"{portal.url}/apis")
    sidebar = visitor.get_by_role("complementary", name="APIs")
    expect(sidebar.get_by_role("link", name="prod")).to_be_visible()
    expect(sidebar.get_by_role("link", name="dev")).to_have_count(0)
    visitor.goto(f"{portal.url}/apis/{dev['id']}")
    expect(visitor.get_by_role("heading", name="API not found")).to_be_visible()
    # When the admin switches it on again
    stage_switch(page, "dev").click()
    # Then it is back for the visitor
    expect(page.get_by_role("status").filter(has_text="is shown. The catalog is updated.")).to_be_visible(
        timeout=30_000
    )
    visitor.goto(f"{portal.url}/apis")
    expect(visitor.get_by_role("complementary", name="APIs").get_by_role("link", name="dev")).to_be_visible()
    assert page_errors(page) == []
    assert page_errors(visitor) == []


def test_an_invalid_upload_shows_its_error_on_the_admin_page(
    page: Any, portal: RunningPreview, apis: dict[str, dict[str, Any]], tmp_path: Any
) -> None:
    # Given the admin on Admin → APIs, and two files: one without info.version, one valid
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.3\ninfo:\n  title: Broken\npaths: {}\n")
    tides = tmp_path / "tides.json"
    tides.write_text(json.dumps({**WEATHER, "info": {"title": "Tides", "version": "1"}}))
    sign_in_as_admin(page, portal, "/admin/apis")
    # When they upload both at once
    page.get_by_label("OpenAPI or Swagger files").set_input_files([str(broken), str(tides)])
    page.get_by_role("button", name="Upload").click()
    # Then the invalid one's error shows, saying what is wrong, and the valid one is added
    error = page.locator(".upload-error")
    expect(error).to_contain_text("broken.yaml:")
    expect(error).to_contain_text("version")
    expect(page.locator(".upload-ok")).to_contain_text("tides.json: added as Tides.")
    generic = page.get_by_role("row").filter(has_text="catalog/generic/tides.json")
    expect(generic).to_contain_text("published", timeout=30_000)
    # When an operator puts an invalid file straight into catalog/ (as the CLI or the console may)
    artifacts = portal.emulation()["buckets"]["artifacts"]
    portal.aws("s3").put_object(Bucket=artifacts, Key="catalog/notes.yaml", Body=b"openapi: 3.0.3\npaths: []\n")
    wait_for(lambda: entry_status(page, "catalog/notes.yaml"), "notes.yaml in the catalog status")
    page.reload()
    # Then the catalog status lists it with its error
    problems = page.locator(".catalog-problems")
    expect(problems.get_by_role("row").filter(has_text="catalog/notes.yaml")).to_contain_text("notes.yaml")
    # And deleting the uploaded API removes it from the list
    page.get_by_role("button", name="Delete tides.json").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(generic).to_have_count(0, timeout=30_000)
    portal.aws("s3").delete_object(Bucket=artifacts, Key="catalog/notes.yaml")
    assert refusals_aside(page, 400) == []


def entry_status(page: Any, key: str) -> bool:
    files = page.evaluate("async () => (await (await import('/app/api.js')).api('/admin/catalog/status')).files")
    return any(file["key"] == key for file in files)


def test_the_admin_offers_sdks_for_a_stage_and_a_user_exports_it(
    page: Any, portal: RunningPreview, apis: dict[str, dict[str, Any]]
) -> None:
    prod = apis["prod"]
    # Given the admin on Admin → APIs
    sign_in_as_admin(page, portal, "/admin/apis")
    sdk = page.get_by_role("switch", name="SDK generation: PetStore prod").first
    expect(sdk).not_to_be_checked()
    # When they switch SDK generation on for the prod stage
    sdk.click()
    expect(page.get_by_role("status").filter(has_text="SDK generation is on for PetStore prod.")).to_be_visible(
        timeout=30_000
    )
    # Then the stage's page offers an SDK, with the parameters the chosen language needs
    page.goto(f"{portal.url}/apis/{prod['id']}")
    page.get_by_role("button", name="Generate SDK").click()
    dialog = page.get_by_role("dialog", name="SDK for PetStore")
    dialog.get_by_label("Language").select_option("java")
    expect(dialog.get_by_label("serviceName")).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    # And Export downloads API Gateway's export of the stage
    page.get_by_role("button", name="Export").click()
    export = page.get_by_role("dialog", name="Export PetStore")
    export.get_by_label("YAML").check()
    with page.expect_download() as downloaded:
        export.get_by_role("button", name="Download").click()
    assert downloaded.value.suggested_filename == f"{prod['id']}-oas30.yaml"
    expect(export).to_have_count(0)
    # When the admin switches SDK generation off again, the page no longer offers it
    page.goto(f"{portal.url}/admin/apis")
    page.get_by_role("switch", name="SDK generation: PetStore prod").first.click()
    expect(page.get_by_role("status").filter(has_text="SDK generation is off for PetStore prod.")).to_be_visible(
        timeout=30_000
    )
    page.goto(f"{portal.url}/apis/{prod['id']}")
    expect(page.get_by_role("button", name="Export")).to_be_visible()
    expect(page.get_by_role("button", name="Generate SDK")).to_have_count(0)
    assert page_errors(page) == []
