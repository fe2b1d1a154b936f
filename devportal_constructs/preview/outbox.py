"""The emails the portal would have sent, kept for the outbox page since nothing is mailed locally."""

from __future__ import annotations

import html
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Kind = Literal["verification", "invitation", "password-reset", "notification"]


@dataclass(frozen=True)
class Email:
    id: int
    to: str
    subject: str
    body: str
    kind: Kind
    code: str | None = None
    sent_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class Outbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._emails: list[Email] = []

    def send(self, *, to: str, subject: str, body: str, kind: Kind, code: str | None = None) -> Email:
        with self._lock:
            email = Email(id=len(self._emails) + 1, to=to, subject=subject, body=body, kind=kind, code=code)
            self._emails.append(email)
        return email

    def emails(self) -> list[Email]:
        with self._lock:
            return list(self._emails)

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(email) for email in reversed(self.emails())]

    def load(self, emails: list[dict[str, Any]]) -> None:
        with self._lock:
            self._emails = [Email(**email) for email in reversed(emails)]

    def page(self) -> str:
        rows = "".join(
            "<tr>"
            f"<td>{html.escape(email.sent_at[:19].replace('T', ' '))}</td>"
            f"<td>{html.escape(email.kind)}</td>"
            f"<td>{html.escape(email.to)}</td>"
            f"<td>{html.escape(email.subject)}</td>"
            f"<td><pre>{html.escape(email.body)}</pre></td>"
            f"<td class=code>{html.escape(email.code or '')}</td>"
            "</tr>"
            for email in reversed(self.emails())
        )
        empty = "" if rows else "<p>Nothing sent yet. Sign up, reset a password or invite someone.</p>"
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>Outbox · local preview</title>"
            "<link rel=icon href=/custom-content/favicon.ico><link rel=stylesheet href=/_preview/outbox.css>"
            "</head><body><main>"
            "<h1>Outbox</h1><p>The emails the portal would have sent. Nothing leaves this machine.</p>"
            f"{empty}<table><thead><tr><th>Sent (UTC)</th><th>Kind</th><th>To</th><th>Subject</th>"
            f"<th>Message</th><th>Code</th></tr></thead><tbody>{rows}</tbody></table></main></body></html>"
        )


STYLES = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .5rem; text-align: left; vertical-align: top; }
pre { margin: 0; white-space: pre-wrap; font: inherit; }
.code { font: 600 1.1rem ui-monospace, monospace; }
"""
