"""The tariff registry (versions in force, any version by content hash) and the covers'
tagged union (each rating method's keys required, named by key when missing)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import msgspec
import pytest

from quoting.errors import TariffError
from quoting.tariff import FrequencySeverityCover, PerMemberCover, PerMilleCover, Tariff
from quoting.tariff.files import content_hash, load_tariff
from quoting.tariff.registry import TariffRegistry
from tests.support import TARIFF_DIR


def _two_versions(tmp_path: Path) -> Path:
    root = tmp_path / "tariffs"
    shutil.copytree(TARIFF_DIR, root / "2026.2")
    draft = root / "2027.1"
    shutil.copytree(TARIFF_DIR, draft)
    toml = draft / "tariff.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('version = "2026.2"', 'version = "2027.1"').replace(
        "effective_date = 2026-10-01", "effective_date = 2027-06-01"
    )
    toml.write_text(text.replace("alpha = 0.03", "alpha = 0.04"), encoding="utf-8")
    return root


def test_the_shipped_tariff_keeps_its_content_hash(tariff: Tariff) -> None:
    # Stored quotes record this hash (computed by the loader before the model and the file
    # adapter were separated); re-pricing finds the version by it.
    shipped = "sha256:dad634b149600e48b52dfef4181d94c2e125358ccd5ee5e108837777d5fb458b"
    assert content_hash(TARIFF_DIR) == tariff.content_hash == shipped
    assert TariffRegistry(TARIFF_DIR.parent).by_hash(shipped).version == "2026.2"


def test_registry_finds_any_version_by_its_content_hash(tmp_path: Path) -> None:
    root = _two_versions(tmp_path)
    registry = TariffRegistry(root)
    old, new = registry.versions()
    assert (old.version, new.version) == ("2026.2", "2027.1")
    assert old.content_hash != new.content_hash
    # The older version stays reachable after the newer one is in force.
    assert registry.in_force(dt.date(2027, 7, 1)).version == "2027.1"
    assert registry.by_hash(old.content_hash).version == "2026.2"
    assert registry.by_hash(new.content_hash).version == "2027.1"


def test_registry_by_unknown_hash_is_a_tariff_error(tmp_path: Path) -> None:
    registry = TariffRegistry(_two_versions(tmp_path))
    with pytest.raises(TariffError) as exc:
        registry.by_hash("sha256:" + "0" * 64)
    assert [p.location for p in exc.value.problems] == ["tariff.hash"]


def test_registry_sees_an_edit_after_its_in_force_cache_expires(tmp_path: Path) -> None:
    root = _two_versions(tmp_path)
    clock = [0.0]
    registry = TariffRegistry(root, in_force_seconds=2.0, monotonic=lambda: clock[0])
    day = dt.date(2027, 7, 1)
    before = registry.in_force(day)
    toml = root / "2027.1" / "tariff.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("0.04", "0.05"), encoding="utf-8")
    assert registry.in_force(day) is before  # within the cache's seconds
    clock[0] = 3.0
    assert registry.in_force(day).params.volatility.alpha == 0.05


def test_each_rating_method_loads_as_its_own_struct(tariff: Tariff) -> None:
    covers = tariff.params.covers
    assert isinstance(covers["add"], PerMilleCover)
    assert isinstance(covers["amed"], FrequencySeverityCover)
    assert isinstance(covers["hcash"], PerMemberCover)
    assert {c: covers[c].method for c in ("add", "smed", "hcash")} == {
        "add": "per_mille",
        "smed": "frequency_severity",
        "hcash": "per_member",
    }
    # Encoded, a cover states its method as the tariff file does.
    assert msgspec.to_builtins(covers["add"])["method"] == "per_mille"


def _drop_line(folder: Path, line: str) -> None:
    toml = folder / "tariff.toml"
    text = toml.read_text(encoding="utf-8")
    assert line in text
    toml.write_text(text.replace(line, "", 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("line", "location", "message"),
    [
        (
            "rate_by_class = [0.32, 0.45, 0.65, 0.95, 1.40, 2.05]\n",
            "tariff.toml [covers.add.rate_by_class]",
            "required for per_mille",
        ),
        (
            "mean_claim_days = 6.0\n",
            "tariff.toml [covers.hcash.mean_claim_days]",
            "required for per_member",
        ),
        (
            ', sigma = 1.40 }\nseverity_country_factor = "medical_cost"\nvat_rate = 0.06\nauto_limit = 500000',
            "tariff.toml [covers.amed.severity.sigma]",
            "required for a lognormal severity",
        ),
    ],
)
def test_a_key_the_method_needs_is_named_when_missing(
    tmp_path: Path, line: str, location: str, message: str
) -> None:
    folder = tmp_path / "2026.2"
    shutil.copytree(TARIFF_DIR, folder)
    if "sigma" in line:
        toml = folder / "tariff.toml"
        text = toml.read_text(encoding="utf-8")
        toml.write_text(text.replace(", sigma = 1.40 }", " }", 1), encoding="utf-8")
    else:
        _drop_line(folder, line)
    with pytest.raises(TariffError) as exc:
        load_tariff(folder)
    assert [(p.location, p.message) for p in exc.value.problems] == [(location, message)]


def test_an_unknown_method_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "2026.2"
    shutil.copytree(TARIFF_DIR, folder)
    toml = folder / "tariff.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('method = "per_member"', 'method = "flat"'), encoding="utf-8")
    with pytest.raises(TariffError) as exc:
        load_tariff(folder)
    [problem] = exc.value.problems
    assert problem.location == "tariff.toml [covers.hcash.method]"
    assert "'flat'" in problem.message
