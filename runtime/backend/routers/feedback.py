"""Feedback: any signed-in user sends it; only administrators read and delete it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, field_validator

from backend.identity import admin, caller
from portal_common import accounts, feedback
from portal_common.errors import BadRequest

router = APIGatewayRouter()

MAX_MESSAGE = 4000
FeedbackId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


class NewFeedback(BaseModel):
    message: str
    page: str | None = None
    """The portal page the user sent it from, such as ``/apis/abc123_prod``."""

    @field_validator("message")
    @classmethod
    def _message(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("write your feedback before sending it")
        if len(value) > MAX_MESSAGE:
            raise ValueError(f"shorten your feedback to {MAX_MESSAGE} characters (it has {len(value)})")
        return value

    @field_validator("page")
    @classmethod
    def _page(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if len(value) > 300 or not value.startswith("/"):
            raise ValueError("give the page as a path of this portal, such as /apis, up to 300 characters")
        return value


class Feedback(BaseModel):
    feedbackId: str
    userId: str
    email: str = ""
    message: str
    page: str | None = None
    dateCreated: str


class SentFeedback(BaseModel):
    feedback: Feedback
    notified: bool
    """Whether the administrators were emailed; the feedback is stored either way."""


class FeedbackPage(BaseModel):
    feedback: list[Feedback]
    nextToken: str | None = None


@router.post("/feedback", status_code=201)
def send_feedback(body: NewFeedback) -> SentFeedback:
    who = caller(router)
    item, notified = feedback.save(user_id=who.user_id, email=who.email, message=body.message, page=body.page)
    return SentFeedback(feedback=Feedback.model_validate(item), notified=notified)


@router.get("/admin/feedback")
def list_feedback(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    nextToken: Annotated[str | None, Query(max_length=2048)] = None,
) -> FeedbackPage:
    admin(router)
    after = None
    if nextToken is not None:
        position = accounts.decode_token(nextToken, kind="feedback").get("after")
        if not isinstance(position, list) or len(position) != 2:
            raise BadRequest("nextToken is not valid: ask for the first page again, without it.")
        after = (str(position[0]), str(position[1]))
    items, last = feedback.newest_first(limit=limit, after=after)
    return FeedbackPage(
        feedback=[Feedback.model_validate(item) for item in items],
        nextToken=None if last is None else accounts.encode_token({"kind": "feedback", "after": list(last)}),
    )


@router.delete("/admin/feedback/<feedback_id>")
def delete_feedback(feedback_id: FeedbackId) -> Response[None]:
    admin(router)
    feedback.delete(feedback_id)
    return Response(status_code=204)
