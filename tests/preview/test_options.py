"""`--specs DIR` publishes a folder of OpenAPI files; `--state DIR` keeps the portal's data between runs."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from devportal_constructs.preview import Preview, start_preview
from devportal_constructs.preview.testing import latest_code, sign_in

PASSWORD = "Correct-Horse-Battery-9"


def catalog(preview: Preview) -> dict[str, Any]:
    with urllib.request.urlopen(f"{preview.url}/api/catalog", timeout=10) as response:
        return dict(json.loads(response.read()))


def openapi(title: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1.0.0"},
        "paths": {"/things": {"get": {"responses": {"200": {"description": "The things"}}}}},
    }


def test_specs_publishes_a_folder_of_openapi_files_into_the_catalog(tmp_path: Path) -> None:
    # Given a folder with a YAML file, a JSON file in a subfolder, and a note that is no spec
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(openapi("Orders")))
    (tmp_path / "partners").mkdir()
    (tmp_path / "partners" / "billing.json").write_text(json.dumps(openapi("Billing")))
    (tmp_path / "README.txt").write_text("Specs for the preview.")
    # When the preview starts with --specs on it
    with start_preview(port=0, specs=tmp_path) as preview:
        published = catalog(preview)
    # Then both specs are in the catalog, under keys that keep the folder layout, beside the sample API
    sources = {entry["source"]: entry["title"] for entry in published["generic"]}
    assert sources == {"catalog/orders.yaml": "Orders", "catalog/partners/billing.json": "Billing"}
    assert {entry["title"] for entry in published["apis"]} == {"PetStore"}


def test_fails_when_the_specs_folder_holds_no_openapi_files(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# Nothing to publish")
    with pytest.raises(ValueError, match=r"--specs .*: no \.json, \.yaml or \.yml files in it"):
        start_preview(port=0, specs=tmp_path)


def test_fails_when_the_specs_folder_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"--specs .*missing: no such folder"):
        start_preview(port=0, specs=tmp_path / "missing")


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    email = f"dev-{uuid.uuid4().hex[:8]}@example.com"
    # Given a preview with --state, where someone registered and confirmed their account before a clean stop
    with start_preview(port=0, state=state) as first:
        cognito = first.aws("cognito-idp")
        cognito.sign_up(ClientId=first.user_pool_client_id, Username=email, Password=PASSWORD)
        cognito.confirm_sign_up(
            ClientId=first.user_pool_client_id, Username=email, ConfirmationCode=latest_code(first.url, email)
        )
        before = (first.admin_email, first.admin_password, first.user_pool_client_id, first.sample_api_id)
    # When the preview starts again on the same folder, with a new home page and a spec
    content = tmp_path / "content"
    (content / "content-fragments").mkdir(parents=True)
    (content / "content-fragments" / "Home.md").write_text("## Back again\n")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "orders.json").write_text(json.dumps(openapi("Orders")))
    with start_preview(port=0, state=state, content=content, specs=tmp_path / "specs") as second:
        tokens = sign_in(
            second.aws("cognito-idp"),
            pool_id=second.user_pool_id,
            client_id=second.user_pool_client_id,
            email=email,
            password=PASSWORD,
        )
        admin = sign_in(
            second.aws("cognito-idp"),
            pool_id=second.user_pool_id,
            client_id=second.user_pool_client_id,
            email=second.admin_email,
            password=second.admin_password,
        )
        after = (second.admin_email, second.admin_password, second.user_pool_client_id, second.sample_api_id)
        mailed = [message["to"] for message in second.outbox.to_json()]
        published = catalog(second)
        with urllib.request.urlopen(f"{second.url}/custom-content/content-fragments/Home.json", timeout=10) as page:
            home = json.loads(page.read())
        cloudfront = second.aws("cloudfront")
        distribution = cloudfront.list_distributions()["DistributionList"]["Items"][0]["Id"]
        invalidations = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    # Then the user signs in, the seeded admin is the same and still signs in, the rest is kept too, and the
    # restored stack still works: the new page renders (its distribution invalidated), the spec is published
    assert tokens["IdToken"] and admin["IdToken"]
    assert after == before
    assert email in mailed
    assert {entry["id"] for entry in published["apis"]} == {f"{before[3]}_dev", f"{before[3]}_prod"}
    assert [entry["title"] for entry in published["generic"]] == ["Orders"]
    assert "Back again" in json.dumps(home)
    assert invalidations["Quantity"] >= 1


def test_fails_when_the_state_path_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("not a folder")
    with pytest.raises(ValueError, match=r"--state .*state: this is a file; give a folder"):
        start_preview(port=0, state=tmp_path / "state")


def test_fails_when_the_state_was_saved_for_another_version_of_the_stack(tmp_path: Path) -> None:
    # Given a state folder saved before the stack had its catalog updates queue
    with start_preview(port=0, state=tmp_path):
        pass
    records = json.loads((tmp_path / "preview.json").read_text())
    queue = next(logical_id for logical_id in records["names"] if logical_id.startswith("DevPortalCatalogUpdatesQueue"))
    del records["names"][queue]
    (tmp_path / "preview.json").write_text(json.dumps(records))
    # Then the preview refuses it, naming what is missing and what to do
    with pytest.raises(
        ValueError, match=rf"holds the data of another version of the stack, without {queue}; give an empty"
    ):
        start_preview(port=0, state=tmp_path)


@pytest.mark.parametrize("port", ["70000", "eighty", "-1"])
def test_fails_when_the_port_is_not_a_port(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    from devportal_constructs.preview.cli import parser

    with pytest.raises(SystemExit):
        parser().parse_args(["--port", port])
    assert f"{port!r}: give a port from 1 to 65535, or 0 for a free one" in capsys.readouterr().err
