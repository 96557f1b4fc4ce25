"""The insurer's identity on documents: name in both languages and the 24-hour assistance
line. Set per deployment (``QUOTING_INSURER_NAME_ZH``, ``QUOTING_INSURER_NAME_EN``,
``QUOTING_ASSISTANCE_HOTLINE``, ``QUOTING_ASSISTANCE_EMAIL``; see quoting/settings.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Brand"]


@dataclass(frozen=True, slots=True)
class Brand:
    """The insurer's identity on documents (``Settings.brand``; neutral defaults)."""

    name_zh: str = "境外团体保险业务部"
    name_en: str = "Overseas Group Insurance Department"
    hotline: str = "+86 400 000 0000"
    email: str = "overseas.claims@example.com"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Brand:
        """The brand set in ``env``, with the defaults for what is not set."""
        default = cls()
        return cls(
            name_zh=env.get("QUOTING_INSURER_NAME_ZH") or default.name_zh,
            name_en=env.get("QUOTING_INSURER_NAME_EN") or default.name_en,
            hotline=env.get("QUOTING_ASSISTANCE_HOTLINE") or default.hotline,
            email=env.get("QUOTING_ASSISTANCE_EMAIL") or default.email,
        )
