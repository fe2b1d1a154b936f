"""``--state DIR``: the emulation's data and the preview's own records, kept between runs.

moto has no persistence of its own, so the preview pickles the in-memory models of the services the portal
uses when it stops, and loads them before it starts serving. The folder is trusted: a pickle runs code when
loaded, so keep it yours. Data is written on a clean stop (Ctrl-C); a killed preview keeps the last save.
"""

from __future__ import annotations

import copyreg
import json
import pickle
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from joserfc.jwk import RSAKey

from .outbox import Outbox

if TYPE_CHECKING:
    from .server import Preview

SERVICES = ("s3", "dynamodb", "cognito-idp", "apigateway", "sns", "sqs", "cloudfront")
_MODELS = "moto-models.pickle"
_RECORDS = "preview.json"


def _rebuild_key(data: dict[str, Any]) -> RSAKey:
    return RSAKey.import_key(data)


def _reduce_key(key: RSAKey) -> tuple[Any, tuple[dict[str, Any]]]:
    return _rebuild_key, (dict(key.as_dict(private=True)),)


copyreg.pickle(RSAKey, _reduce_key)  # moto signs Cognito tokens with a key object pickle cannot copy
copyreg.pickle(threading.Condition, lambda _: (threading.Condition, ()))  # each SQS queue holds one


class StateStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"--state {folder}: this is a file; give a folder (it is created when missing)")

    def load(self, outbox: Outbox) -> dict[str, Any] | None:
        """The records of the last run, with moto's models restored, or None on a first run."""
        models, records = self.folder / _MODELS, self.folder / _RECORDS
        if not (models.is_file() and records.is_file()):
            return None
        from moto.backends import get_backend
        from moto.core import DEFAULT_ACCOUNT_ID

        saved = pickle.loads(models.read_bytes())
        for service, regions in saved.items():
            account = get_backend(service)[DEFAULT_ACCOUNT_ID]
            for region, backend in regions.items():
                account[region] = backend
        data: dict[str, Any] = json.loads(records.read_text())
        outbox.load(data.get("outbox", []))
        return data

    def save(self, preview: Preview) -> None:
        from moto.backends import get_backend
        from moto.core import DEFAULT_ACCOUNT_ID

        self.folder.mkdir(parents=True, exist_ok=True)
        models = {service: dict(get_backend(service)[DEFAULT_ACCOUNT_ID]) for service in SERVICES}
        (self.folder / _MODELS).write_bytes(pickle.dumps(models))
        records = {
            "names": preview.names,
            "admin": [preview.admin_email, preview.admin_password],
            "sampleApiId": preview.sample_api_id,
            "outbox": preview.outbox.to_json(),
            "usage": preview.ledger.dump(),
        }
        (self.folder / _RECORDS).write_text(json.dumps(records, indent=2))
