"""The code of a certificate's QR code: the policy, the member's certificate number and a
keyed tag, so that the public page ``/verify/{code}`` can find the certificate without a
table and nobody can make up a code that it accepts.

``{policy id without "pol_"}-{certificate number}-{tag}``, the tag being the first 80 bits
(16 base32 letters) of HMAC-SHA256 over the policy id, the number and the member id with
the insurer's stored secret (``app_secrets``, the same as the printed verification code).
The policy id is random (96 bits) and the tag keyed, so codes are neither enumerable nor
forgeable; the member id is inside the tag, not in the code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import NamedTuple

__all__ = ["CertificateCode", "certificate_code", "parse_certificate_code", "tag_matches"]

_POLICY_PREFIX = "pol_"
_CODE = re.compile(r"^([0-9a-f]{24})-([1-9][0-9]{0,6})-([A-Z2-7]{16})$")


class CertificateCode(NamedTuple):
    policy_id: str
    number: int
    tag: str


def _tag(policy_id: str, number: int, member_id: str, secret: str) -> str:
    message = f"verify|{policy_id}|{number}|{member_id}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode()


def certificate_code(policy_id: str, number: int, member_id: str, secret: str) -> str:
    """The verification page's code of certificate ``number`` of a policy."""
    return f"{policy_id.removeprefix(_POLICY_PREFIX)}-{number}-{_tag(policy_id, number, member_id, secret)}"


def parse_certificate_code(code: str) -> CertificateCode | None:
    """The parts of a code, or None for anything not shaped like one."""
    m = _CODE.fullmatch(code)
    if m is None:
        return None
    return CertificateCode(_POLICY_PREFIX + m[1], int(m[2]), m[3])


def tag_matches(code: CertificateCode, member_id: str, secret: str) -> bool:
    """The code's tag is the one of this policy, number and member (constant time)."""
    return hmac.compare_digest(code.tag, _tag(code.policy_id, code.number, member_id, secret))
