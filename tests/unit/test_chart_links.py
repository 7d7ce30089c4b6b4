"""Chart links for App Home's image blocks: signed over workspace, period and expiry, refused when changed or
expired, and none at all without a public URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from bot.chart_links import ChartLinks, ChartRequest

SINCE, UNTIL = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
LINKS = ChartLinks(b"signing-secret", "https://warroom.test/")


def _query(url: str | None) -> dict[str, str]:
    assert url is not None
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_a_link_names_the_public_url_and_checks_back_to_its_request() -> None:
    url = LINKS.url("T1", SINCE, UNTIL)
    assert url is not None and url.startswith("https://warroom.test/charts/kpis.png?team=T1&")
    assert LINKS.check(_query(url), UNTIL) == ChartRequest("T1", SINCE, UNTIL)


def test_a_changed_link_or_another_secrets_is_refused() -> None:
    query = _query(LINKS.url("T1", SINCE, UNTIL))
    for name, value in (("team", "T2"), ("since", "0"), ("until", str(int(UNTIL.timestamp()) + 1)),
                        ("expires", str(int(query["expires"]) + 3600)), ("sig", query["sig"][:-1] + "0")):
        assert LINKS.check({**query, name: value}, SINCE) is None, name
    assert LINKS.check({k: v for k, v in query.items() if k != "sig"}, SINCE) is None
    assert LINKS.check({**query, "since": "soon"}, SINCE) is None
    assert ChartLinks(b"another-secret", "https://warroom.test").check(query, SINCE) is None


def test_a_link_expires_a_day_after_its_period() -> None:
    query = _query(LINKS.url("T1", SINCE, UNTIL))
    assert LINKS.check(query, UNTIL + timedelta(hours=23, minutes=59)) is not None
    assert LINKS.check(query, UNTIL + timedelta(hours=24)) is None


def test_the_signature_is_not_an_hmac_under_the_secret_itself() -> None:
    import hashlib
    import hmac

    query = _query(LINKS.url("T1", SINCE, UNTIL))
    message = f"T1\n{query['since']}\n{query['until']}\n{query['expires']}".encode()
    assert query["sig"] != hmac.new(b"signing-secret", message, hashlib.sha256).hexdigest()


def test_without_a_public_url_there_is_no_link() -> None:
    assert ChartLinks(b"signing-secret", None).url("T1", SINCE, UNTIL) is None
