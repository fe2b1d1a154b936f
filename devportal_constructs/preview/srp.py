"""Cognito's Secure Remote Password exchange (SRP-6a over the 3072-bit group of RFC 3526), both sides.

moto answers USER_SRP_AUTH with random numbers and accepts any password claim, so the preview plays the
server side itself, from the password moto stores. The client side is here for tests and scripts that sign
in the way the portal's web client does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

# RFC 3526 group 15: 2^3072 - 2^3008 - 1 + 2^64 * (floor(2^2942 * pi) + 1690314).
_N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(_N_HEX, 16)
G = 2
_INFO = b"Caldera Derived Key"


def _pad(value: int | str) -> str:
    text = value if isinstance(value, str) else format(value, "x")
    if len(text) % 2:
        return "0" + text
    return "00" + text if text[0] in "89abcdefABCDEF" else text


def _hex_hash(hex_text: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_text)).hexdigest()


K = int(_hex_hash("00" + _N_HEX + "0" + format(G, "x")), 16)


def _u(big_a: int, big_b: int) -> int:
    return int(_hex_hash(_pad(big_a) + _pad(big_b)), 16)


def _x(pool_id: str, user_id: str, password: str, salt_hex: str) -> int:
    inner = hashlib.sha256(f"{pool_id.split('_', 1)[1]}{user_id}:{password}".encode()).hexdigest()
    # Clients read SALT as a number (amazon-cognito-identity-js does), so leading zeros are not hashed.
    return int(_hex_hash(_pad(int(salt_hex, 16)) + inner), 16)


def _key(shared: int, u: int) -> bytes:
    prk = hmac.new(bytes.fromhex(_pad(u)), bytes.fromhex(_pad(shared)), hashlib.sha256).digest()
    return hmac.new(prk, _INFO + b"\x01", hashlib.sha256).digest()[:16]


def _signature(key: bytes, pool_id: str, user_id: str, secret_block: str, timestamp: str) -> str:
    message = pool_id.split("_", 1)[1].encode() + user_id.encode() + base64.b64decode(secret_block) + timestamp.encode()
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def timestamp(now: datetime | None = None) -> str:
    """Cognito's TIMESTAMP format: ``Tue Mar 5 09:04:05 UTC 2024`` (day without a leading zero)."""
    now = now or datetime.now(UTC)
    return f"{now:%a %b} {now.day} {now:%H:%M:%S} UTC {now:%Y}"


@dataclass(frozen=True)
class ServerChallenge:
    """What the server keeps between InitiateAuth and RespondToAuthChallenge."""

    pool_id: str
    user_id: str
    salt: str
    big_b: int
    small_b: int
    verifier: int
    secret_block: str

    @classmethod
    def start(cls, *, pool_id: str, user_id: str, password: str) -> ServerChallenge:
        salt = secrets.token_hex(16)
        verifier = pow(G, _x(pool_id, user_id, password, salt), N)
        small_b = secrets.randbelow(N - 1) + 1
        big_b = (K * verifier + pow(G, small_b, N)) % N
        secret_block = base64.b64encode(secrets.token_bytes(64)).decode()
        return cls(pool_id, user_id, salt, big_b, small_b, verifier, secret_block)

    @property
    def parameters(self) -> dict[str, str]:
        return {"SALT": self.salt, "SRP_B": format(self.big_b, "x"), "SECRET_BLOCK": self.secret_block}

    def verify(self, *, srp_a: str, signature: str, timestamp: str) -> bool:
        big_a = int(srp_a, 16)
        if big_a % N == 0:
            return False
        u = _u(big_a, self.big_b)
        shared = pow(big_a * pow(self.verifier, u, N), self.small_b, N)
        expected = _signature(_key(shared, u), self.pool_id, self.user_id, self.secret_block, timestamp)
        return hmac.compare_digest(expected, signature)


class Client:
    """The client side: ``auth_parameters()`` for InitiateAuth, then ``respond(challenge_parameters)``."""

    def __init__(self, *, pool_id: str, username: str, password: str) -> None:
        self.pool_id = pool_id
        self.username = username
        self.password = password
        self._small_a = secrets.randbelow(N - 1) + 1
        self._big_a = pow(G, self._small_a, N)

    def auth_parameters(self) -> dict[str, str]:
        return {"USERNAME": self.username, "SRP_A": format(self._big_a, "x")}

    def respond(self, parameters: dict[str, str]) -> dict[str, str]:
        user_id = parameters["USER_ID_FOR_SRP"]
        big_b = int(parameters["SRP_B"], 16)
        u = _u(self._big_a, big_b)
        x = _x(self.pool_id, user_id, self.password, parameters["SALT"])
        shared = pow(big_b - K * pow(G, x, N), self._small_a + u * x, N)
        when = timestamp()
        return {
            "USERNAME": user_id,
            "TIMESTAMP": when,
            "PASSWORD_CLAIM_SECRET_BLOCK": parameters["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": _signature(
                _key(shared, u), self.pool_id, user_id, parameters["SECRET_BLOCK"], when
            ),
        }
