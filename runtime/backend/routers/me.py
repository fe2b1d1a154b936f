"""The signed-in user's own account."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel

from backend.identity import caller

router = APIGatewayRouter()


class Me(BaseModel):
    userId: str
    email: str
    isAdmin: bool
    groups: list[str]


@router.get("/me")
def get_me() -> Me:
    who = caller(router)
    return Me(userId=who.user_id, email=who.email, isAdmin=who.is_admin, groups=who.groups)
