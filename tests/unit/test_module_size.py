"""Modules stay small enough to read in one sitting (STYLE.md habit 12): a module over the limit is split
along a seam, not allowed to grow."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ("bot", "handlers", "store", "runbooks")
PRODUCT_LIMIT = 300
TEST_LIMIT = 400


def _modules(top: str) -> list[Path]:
    """Every Python module under `top` (not the JavaScript packages a test harness installs)."""
    return sorted(p for p in (ROOT / top).rglob("*.py") if "node_modules" not in p.relative_to(ROOT).parts)


def _over(paths: list[Path], limit: int) -> list[str]:
    found = []
    for path in paths:
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found.append(f"{path.relative_to(ROOT)}: {lines} lines")
    return found


def test_the_scan_sees_the_product_and_the_tests() -> None:
    product = {p.relative_to(ROOT).as_posix() for top in PRODUCT_PACKAGES for p in _modules(top)}
    tests = {p.relative_to(ROOT).as_posix() for p in _modules("tests")}
    assert {"bot/app.py", "handlers/commands.py", "store/uow.py", "runbooks/loader.py"} <= product
    assert "tests/unit/test_module_size.py" in tests


def test_no_product_module_is_over_300_lines() -> None:
    over = _over([p for top in PRODUCT_PACKAGES for p in _modules(top)], PRODUCT_LIMIT)
    assert not over, "split along a seam: " + "; ".join(over)


def test_no_test_module_is_over_400_lines() -> None:
    over = _over(_modules("tests"), TEST_LIMIT)
    assert not over, "split along a seam: " + "; ".join(over)
