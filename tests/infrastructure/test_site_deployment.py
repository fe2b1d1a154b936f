"""SiteDeployment: the site copied and pruned around custom-content/, the seed-once resource, the renderer."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Match, Template

from tests.infrastructure.synth import portal_stack


def resource_id(template: Template, resource_type: str, prefix: str) -> str:
    (found,) = [key for key in template.find_resources(resource_type) if key.startswith(prefix)]
    return found


def statements_of(template: Template, role_prefix: str) -> list[dict]:
    """The statements of every policy attached to the role whose logical id starts with `role_prefix`."""
    role = resource_id(template, "AWS::IAM::Role", role_prefix)
    found = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def actions(statement: dict) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else value


@pytest.fixture(scope="module")
def portal(minimal_portal) -> Template:
    return minimal_portal[2]


@pytest.fixture(scope="module")
def rebuilt() -> Template:
    """A SiteDeployment alone, in overwrite mode with a rebuild token."""

    def build(stack: cdk.Stack):
        from devportal_constructs import CustomDomain
        from devportal_constructs._site_deployment import SiteDeployment

        hosting = CustomDomain(stack, "Hosting", connect_sources=[])
        return SiteDeployment(
            stack,
            "Site",
            site_bucket=hosting.site_bucket,
            distribution=hosting.distribution,
            config={"version": 1},
            rebuild_mode="overwrite-content",
            rebuild_token="2024-06-01",
            log_retention=logs.RetentionDays.ONE_WEEK,
            removal_policy=RemovalPolicy.DESTROY,
        )

    return portal_stack(build)[2]


# --- the site files ----------------------------------------------------------------------------------------


def test_site_is_copied_on_every_deploy_and_pruned_except_custom_content(portal):
    site_bucket = resource_id(portal, "AWS::S3::Bucket", "DevPortalCustomDomainSiteBucket")
    portal.has_resource_properties(
        "Custom::CDKBucketDeployment",
        {
            "DestinationBucketName": {"Ref": site_bucket},
            "Prune": True,
            "Exclude": ["custom-content/*"],
            "SystemMetadata": {"cache-control": "public, max-age=0, must-revalidate, s-maxage=86400"},
        },
    )


def test_config_json_is_written_with_deploy_time_values(portal):
    (deployment,) = portal.find_resources("Custom::CDKBucketDeployment").values()
    # Source 1 is site/public, source 2 the generated config.json whose markers resolve at deploy time.
    markers = deployment["Properties"]["SourceMarkers"][1]
    rendered = str(markers)
    for token in ("DevPortalIdentityUserPool", "DevPortalBackendApi", "DevPortalCustomDomainDistribution"):
        assert token in rendered


def test_a_deploy_invalidates_the_site_files_and_not_the_operators_content(portal):
    distribution = resource_id(portal, "AWS::CloudFront::Distribution", "DevPortalCustomDomainDistribution")
    portal.has_resource_properties(
        "Custom::CDKBucketDeployment",
        {
            "DistributionId": {"Ref": distribution},
            "DistributionPaths": ["/404.html", "/app/*", "/config.json", "/index.html", "/vendor/*"],
        },
    )


def test_invalidation_paths_follow_the_site_folder(tmp_path: Path):
    from devportal_constructs._site_deployment import site_invalidation_paths

    (tmp_path / "app").mkdir()
    (tmp_path / "vendor").mkdir()
    for name in ("index.html", "robots.txt", ".DS_Store"):
        (tmp_path / name).write_text("x")

    assert site_invalidation_paths(tmp_path) == [
        "/app/*",
        "/config.json",
        "/index.html",
        "/robots.txt",
        "/vendor/*",
    ]


def test_the_site_holds_the_shell_and_the_default_content_the_seeder_uses():
    site = Path(__file__).resolve().parents[2] / "site"
    for name in ("index.html", "404.html", "app/main.js", "app/app.css"):
        assert (site / "public" / name).is_file(), name
    assert not (site / "public" / "custom-content").exists(), "custom-content/ is seeded, never copied"
    for name in ("nav-logo.png", "home-image.png", "api-logos/default.png"):
        assert (site / "custom-content" / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), name
    assert (site / "custom-content" / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    for name in ("Home", "GettingStarted", "APIs"):
        assert (site / "custom-content" / "content-fragments" / f"{name}.md").is_file()


# --- the seed-once custom resource -------------------------------------------------------------------------


def test_custom_content_resource_is_served_by_the_seeder_function_itself(portal):
    seeder = resource_id(portal, "AWS::Lambda::Function", "DevPortalSiteSeeder")
    portal.has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": "site_deployment.handler.lambda_handler", "Timeout": 600, "Runtime": "python3.14"},
    )
    portal.has_resource(
        "Custom::DevPortalCustomContent",
        {
            "Properties": {
                "ServiceToken": {"Fn::GetAtt": [seeder, "Arn"]},
                "SiteBucket": {"Ref": resource_id(portal, "AWS::S3::Bucket", "DevPortalCustomDomainSiteBucket")},
                "SourceBucket": Match.any_value(),
                "SourceKey": Match.string_like_regexp(r"\.zip$"),
                "DistributionId": {
                    "Ref": resource_id(portal, "AWS::CloudFront::Distribution", "DevPortalCustomDomainDistribution")
                },
                "RebuildMode": "",
                "RebuildToken": "",
            },
            "DependsOn": Match.array_with(
                [resource_id(portal, "Custom::CDKBucketDeployment", "DevPortalSiteFilesCustomResource")]
            ),
        },
    )


def test_seeder_reads_and_writes_custom_content_only_and_never_deletes(portal):
    statements = statements_of(portal, "DevPortalSiteSeederRole")
    site_bucket = resource_id(portal, "AWS::S3::Bucket", "DevPortalCustomDomainSiteBucket")
    on_site = [s for s in statements if site_bucket in str(s["Resource"])]
    assert len(on_site) == 2  # grant_read and grant_put
    for statement in on_site:
        assert "/custom-content/*" in str(statement["Resource"])
        assert not any("Delete" in action for action in actions(statement))
    assert any("s3:PutObject" in actions(s) for s in on_site)
    (invalidation,) = [s for s in statements if "cloudfront:CreateInvalidation" in actions(s)]
    assert "DevPortalCustomDomainDistribution" in str(invalidation["Resource"])


def test_rebuild_mode_and_token_reach_the_resource_and_the_token_redeploys_the_site(rebuilt):
    rebuilt.has_resource_properties(
        "Custom::DevPortalCustomContent", {"RebuildMode": "overwrite-content", "RebuildToken": "2024-06-01"}
    )
    (deployment,) = rebuilt.find_resources("Custom::CDKBucketDeployment").values()
    assert len(deployment["Properties"]["SourceObjectKeys"]) == 3, "site, config.json and the token"


# --- the content renderer -----------------------------------------------------------------------------------


def renderer_notifications(portal: Template) -> list[dict]:
    renderer = resource_id(portal, "AWS::Lambda::Function", "DevPortalSiteContentRenderer")
    site_bucket = resource_id(portal, "AWS::S3::Bucket", "DevPortalCustomDomainSiteBucket")
    (notifications,) = [
        resource["Properties"]
        for resource in portal.find_resources("Custom::S3BucketNotifications").values()
        if resource["Properties"]["BucketName"] == {"Ref": site_bucket}
    ]
    configurations = notifications["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    assert all(item["LambdaFunctionArn"] == {"Fn::GetAtt": [renderer, "Arn"]} for item in configurations)
    return [
        {
            "events": item["Events"],
            **{rule["Name"]: rule["Value"] for rule in item["Filter"]["Key"]["FilterRules"]},
        }
        for item in configurations
    ]


def test_fragment_uploads_and_logo_changes_trigger_the_renderer(portal):
    # Then fragments created, and .png logos created or removed (never the manifest it writes), reach it
    def order(item: dict) -> tuple:
        return item["prefix"], item["events"]

    assert sorted(renderer_notifications(portal), key=order) == sorted(
        [
            {"events": ["s3:ObjectCreated:*"], "prefix": "custom-content/content-fragments/", "suffix": ".md"},
            {"events": ["s3:ObjectCreated:*"], "prefix": "custom-content/api-logos/", "suffix": ".png"},
            {"events": ["s3:ObjectRemoved:*"], "prefix": "custom-content/api-logos/", "suffix": ".png"},
        ],
        key=order,
    )
    portal.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "content_renderer.handler.lambda_handler",
            "Environment": {
                "Variables": Match.object_like({"SITE_BUCKET": Match.any_value(), "DISTRIBUTION_ID": Match.any_value()})
            },
        },
    )


def test_renderer_touches_the_fragments_and_logos_folders_alone_and_never_deletes(portal):
    statements = statements_of(portal, "DevPortalSiteContentRendererRole")
    site_bucket = resource_id(portal, "AWS::S3::Bucket", "DevPortalCustomDomainSiteBucket")
    on_site = [s for s in statements if site_bucket in str(s["Resource"])]
    assert len(on_site) == 2  # grant_read and grant_put
    for statement in on_site:
        resources = str(statement["Resource"])
        assert "/custom-content/content-fragments/*" in resources and "/custom-content/api-logos/*" in resources
        assert "/custom-content/*" not in resources
        assert not any("Delete" in action for action in actions(statement))


# --- the site shell's constraints ----------------------------------------------------------------------------

SITE = Path(__file__).resolve().parents[2] / "site"


def test_the_sites_own_js_and_css_fit_the_150_kb_budget(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("site_size", SITE.parent / "bench" / "site_size.py")
    assert spec is not None and spec.loader is not None
    site_size = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(site_size)

    assert site_size.main() == 0, capsys.readouterr().out
    assert site_size.main(budget=1000) == 1, "a budget the site exceeds must fail"
    assert "OVER the budget" in capsys.readouterr().out


def test_the_shell_has_no_inline_script_no_inline_handlers_and_nothing_from_elsewhere():
    import re

    for path in sorted((SITE / "public").rglob("*")):
        if path.suffix not in (".html", ".js", ".css"):
            continue
        text = path.read_text()
        name = path.relative_to(SITE).as_posix()
        if path.suffix == ".html":
            for script in re.findall(r"<script\b[^>]*>(.*?)</script>", text, flags=re.S):
                assert script.strip() == "", f"{name}: inline script"
            assert not re.search(r"\son[a-z]+\s*=", text), f"{name}: inline event handler"
            assert not re.search(r"\sstyle\s*=", text), f"{name}: inline style"
        assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text), f"{name}: loads from another origin"
        assert "@import url(http" not in text, f"{name}: imports from another origin"
