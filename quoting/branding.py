"""The insurer's identity on documents, set per deployment from the environment.

The defaults are a **demo brand**: an obviously invented company, address, licence and
telephone numbers, so that a document printed from a fresh checkout can never pass for a
real insurer's. A deployment sets its own:

| variable | default (demo) | printed as |
| --- | --- | --- |
| QUOTING_INSURER_NAME_ZH / _EN | 境外团体保险业务部 / Overseas Group Insurance Department | the masthead |
| QUOTING_INSURER_LEGAL_NAME_ZH / _EN | 示例财产保险股份有限公司 / Example Property and Casualty Insurance Co., Ltd. | 保险人 on the policy schedule, the signing block |
| QUOTING_INSURER_ADDRESS_ZH / _EN | 北京市示例区示例路1号 / 1 Example Road, Example District, Beijing | 保险人地址 |
| QUOTING_INSURER_LICENCE | DEMO-000000 | 经营保险业务许可证 number |
| QUOTING_SERVICE_LINE | +86 10 0000 0000 | customer service line (客服电话) |
| QUOTING_ASSISTANCE_HOTLINE | +86 400 000 0000 | 24-hour assistance line inside China |
| QUOTING_ASSISTANCE_ABROAD | +86 10 0000 0001 | the same, dialable from abroad (a 400 number is not) |
| QUOTING_ASSISTANCE_PROVIDER_ZH / _EN | 示例全球救援有限公司 / Example Global Assistance Ltd. | who answers it |
| QUOTING_ASSISTANCE_EMAIL | overseas.claims@example.com | |
| QUOTING_WORDING_NAME_ZH / _EN | 境外团体意外伤害及医疗保险条款 / Overseas Group Accident and Medical Insurance Wording | the wording, when the tariff names none (``[wording]``) |
| QUOTING_WORDING_FILING | DEMO-备案-000000 | its 备案编号 |
| QUOTING_DISPUTE | court | 争议处理方式: ``court`` (people's court) or ``arbitration`` |
| QUOTING_ARBITRATION_BODY_ZH / _EN | 示例仲裁委员会 / Example Arbitration Commission | the commission, for ``arbitration`` |
| QUOTING_PUBLIC_URL | http://localhost:8000 | where ``/verify/{code}`` of a certificate's QR code is served |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from quoting.errors import SettingError

__all__ = ["Brand", "Dispute"]

Dispute = Literal["court", "arbitration"]

#: The environment variable of each field of ``Brand``.
_ENV = {
    "name_zh": "QUOTING_INSURER_NAME_ZH",
    "name_en": "QUOTING_INSURER_NAME_EN",
    "legal_name_zh": "QUOTING_INSURER_LEGAL_NAME_ZH",
    "legal_name_en": "QUOTING_INSURER_LEGAL_NAME_EN",
    "address_zh": "QUOTING_INSURER_ADDRESS_ZH",
    "address_en": "QUOTING_INSURER_ADDRESS_EN",
    "licence": "QUOTING_INSURER_LICENCE",
    "service_line": "QUOTING_SERVICE_LINE",
    "hotline": "QUOTING_ASSISTANCE_HOTLINE",
    "hotline_abroad": "QUOTING_ASSISTANCE_ABROAD",
    "assistance_provider_zh": "QUOTING_ASSISTANCE_PROVIDER_ZH",
    "assistance_provider_en": "QUOTING_ASSISTANCE_PROVIDER_EN",
    "email": "QUOTING_ASSISTANCE_EMAIL",
    "wording_zh": "QUOTING_WORDING_NAME_ZH",
    "wording_en": "QUOTING_WORDING_NAME_EN",
    "wording_filing": "QUOTING_WORDING_FILING",
    "dispute": "QUOTING_DISPUTE",
    "arbitration_body_zh": "QUOTING_ARBITRATION_BODY_ZH",
    "arbitration_body_en": "QUOTING_ARBITRATION_BODY_EN",
    "public_url": "QUOTING_PUBLIC_URL",
}


@dataclass(frozen=True, slots=True)
class Brand:
    """The insurer's identity on documents (``Settings.brand``; demo defaults)."""

    name_zh: str = "境外团体保险业务部"
    name_en: str = "Overseas Group Insurance Department"
    legal_name_zh: str = "示例财产保险股份有限公司"
    legal_name_en: str = "Example Property and Casualty Insurance Co., Ltd."
    address_zh: str = "北京市示例区示例路1号"
    address_en: str = "1 Example Road, Example District, Beijing"
    licence: str = "DEMO-000000"
    service_line: str = "+86 10 0000 0000"
    hotline: str = "+86 400 000 0000"
    hotline_abroad: str = "+86 10 0000 0001"
    assistance_provider_zh: str = "示例全球救援有限公司"
    assistance_provider_en: str = "Example Global Assistance Ltd."
    email: str = "overseas.claims@example.com"
    wording_zh: str = "境外团体意外伤害及医疗保险条款"
    wording_en: str = "Overseas Group Accident and Medical Insurance Wording"
    wording_filing: str = "DEMO-备案-000000"
    dispute: Dispute = "court"
    arbitration_body_zh: str = "示例仲裁委员会"
    arbitration_body_en: str = "Example Arbitration Commission"
    public_url: str = "http://localhost:8000"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Brand:
        """The brand set in ``env``, with the defaults for what is not set; a
        ``QUOTING_DISPUTE`` other than ``court`` or ``arbitration`` is refused."""
        given: dict[str, Any] = {
            name: env[var].strip() for name, var in _ENV.items() if env.get(var, "").strip()
        }
        dispute = given.get("dispute", "court").lower()
        if dispute not in ("court", "arbitration"):
            raise SettingError(f"QUOTING_DISPUTE={given['dispute']!r}: use court or arbitration")
        given["dispute"] = dispute
        given["public_url"] = given.get("public_url", cls().public_url).rstrip("/")
        return replace(cls(), **given)

    def verify_url(self, code: str) -> str:
        """The public address of a certificate's verification page."""
        return f"{self.public_url}/verify/{code}"
