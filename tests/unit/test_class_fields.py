"""Classes chosen at declare, required at resolve when the policy says so, and their custom fields (with fakes)."""

from __future__ import annotations

import pytest

from bot.config import parse_policy
from bot.domain.classes import ClassField, FieldKind, IncidentClass, check_resolvable
from bot.domain.errors import ConfigError, InvalidCommand, InvalidInput
from handlers.blocks import incident_card
from handlers.modals import resolve_modal
from tests.unit.services import make_world

TENANT = ClassField("tenant", "Tenant", required=True)
FIELDS = (TENANT, ClassField("region", "Region", FieldKind.SELECT, ("eu", "us")),
          ClassField("owner", "Data owner", FieldKind.USER), ClassField("tenants", "Tenants affected", FieldKind.NUMBER))
CROSS = IncidentClass("cross-tenant-authorization", "Cross-tenant authorization", fields=FIELDS)
CLASSES = (IncidentClass("queue-failure", "Queue failure"), CROSS)


async def test_a_class_chosen_at_declare_is_stored_with_the_incident_and_in_its_declare_audit() -> None:
    world = make_world()
    incident = await world.declare(incident_class="Queue failure")
    assert world.incident(incident.id).incident_class == "queue-failure"
    declared = next(a for a in world.db.audit if a.action == "incident.declared")
    assert declared.after["incident_class"] == "queue-failure"


async def test_an_unknown_class_at_declare_declares_nothing_and_names_the_valid_classes() -> None:
    world = make_world()
    with pytest.raises(InvalidInput) as info:
        await world.declare(incident_class="imports-pipeline")
    assert "`imports-pipeline` is not an incident class. Valid classes: `import-pipeline`," in info.value.errors[
        "incident_class"]
    assert world.db.incidents == {} and world.chat.calls("create_channel") == []


async def test_resolving_without_a_class_when_the_policy_requires_one_is_refused_and_changes_nothing() -> None:
    world = make_world(class_required_at_resolve=True)
    incident = await world.declare()
    with pytest.raises(InvalidInput, match=r"Choose the incident's class before resolving: `/incident class <class>`"):
        await world.services.reviews.resolve("T1", incident.id, "U1", {"resolution": "restarted"})  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="Choose the incident's class"):
        await world.services.incidents.change_status("T1", incident.id, "U1", "resolved")  # type: ignore[arg-type]
    assert world.incident(incident.id).status != "resolved"
    assert world.chat.calls("post_review") == []


async def test_a_class_chosen_in_the_resolve_form_is_set_and_recorded_in_the_resolve_transaction() -> None:
    world = make_world(class_required_at_resolve=True)
    incident = await world.declare()
    markdown = await world.services.reviews.resolve("T1", incident.id, "U1", {"resolution": "restarted"},  # type: ignore[arg-type]
                                                    incident_class="queue-failure")
    stored = world.incident(incident.id)
    assert (stored.status, stored.incident_class) == ("resolved", "queue-failure")
    assert [a.after for a in world.db.audit if a.action == "incident.class_changed"] == [{"incident_class": "queue-failure"}]
    assert "| Class | Queue failure |" in markdown


async def test_without_the_setting_an_unclassed_incident_resolves_as_before() -> None:
    world = make_world()
    incident = await world.declare()
    changed = await world.services.incidents.change_status("T1", incident.id, "U1", "resolved")  # type: ignore[arg-type]
    assert changed.status == "resolved" and changed.incident_class is None


async def test_custom_fields_are_checked_by_kind_stored_recorded_and_shown_on_the_card_and_in_the_review() -> None:
    world = make_world(classes=CLASSES)
    incident = await world.declare(incident_class="cross-tenant-authorization")
    channel = incident.channel_id or ""
    classes = world.services.classes
    for name, typed, error in (("tenants", "many", "takes a number"), ("region", "asia", "one of `eu`, `us`"),
                               ("owner", "ana", "a person"), ("colour", "red", "Its fields: `tenant`, `region`")):
        with pytest.raises(InvalidCommand, match=error):
            await classes.set_field("T1", channel, "U1", name, typed)
    await classes.set_field("T1", channel, "U1", "Tenant", "acme <corp>")
    await classes.set_field("T1", channel, "U1", "region", "EU")
    await classes.set_field("T1", channel, "U1", "owner", "<@U7>")
    changed = await classes.set_field("T1", channel, "U1", "tenants", "3")
    assert changed.custom_fields == {"tenant": "acme <corp>", "region": "eu", "owner": "<@U7>", "tenants": "3"}
    assert world.incident(incident.id).custom_fields == changed.custom_fields
    assert [e.text for e in world.db.timeline][-2:] == ["Data owner: (none) → <@U7>", "Tenants affected: (none) → 3"]
    assert world.db.audit[-1].action == "incident.field_set" and world.db.audit[-1].after == {"tenants": "3"}
    assert world.chat.calls("post_change")[-1] == "<@U1> set *Tenants affected* to 3."
    with pytest.raises(InvalidCommand) as same:  # a person stays a mention; text stays escaped
        await classes.set_field("T1", channel, "U1", "owner", "<@U7>")
    assert str(same.value) == "Data owner is already <@U7>."
    with pytest.raises(InvalidCommand) as again:
        await classes.set_field("T1", channel, "U1", "tenant", "acme <corp>")
    assert str(again.value) == "Tenant is already acme &lt;corp&gt;."
    policy = world.services.policy
    texts = [b["text"]["text"] for b in incident_card(changed, policy) if b["type"] == "section" and "text" in b]
    assert ("*Tenant*: acme &lt;corp&gt;\n*Region*: eu\n*Data owner*: <@U7>\n*Tenants affected*: 3") in texts
    markdown = await world.services.reviews.resolve("T1", incident.id, "U1", {"resolution": "patched"})  # type: ignore[arg-type]
    assert "| Class | Cross-tenant authorization |\n| Tenant | acme <corp> |\n| Region | eu |\n| Data owner | U7 |" in markdown


async def test_a_required_custom_field_unset_blocks_the_resolve_with_the_command_that_sets_it() -> None:
    world = make_world(classes=CLASSES)
    incident = await world.declare(incident_class="cross-tenant-authorization")
    card = incident_card(world.incident(incident.id), world.services.policy)
    assert any(b.get("text", {}).get("text") == "*Tenant*: _required before resolving_" for b in card)
    with pytest.raises(InvalidInput, match=r"Set the required fields of Cross-tenant authorization before "
                                           r"resolving: `/incident field tenant <text>`"):
        await world.services.reviews.resolve("T1", incident.id, "U1", {"resolution": "patched"})  # type: ignore[arg-type]
    assert world.incident(incident.id).status != "resolved"


async def test_a_field_needs_a_class_first() -> None:
    world = make_world(classes=CLASSES)
    incident = await world.declare()
    with pytest.raises(InvalidCommand, match="set it first with `/incident class <class>`"):
        await world.services.classes.set_field("T1", incident.channel_id or "", "U1", "tenant", "acme")


def test_custom_fields_and_the_resolve_setting_are_read_from_the_policy_file() -> None:
    policy = parse_policy("class_required_at_resolve: true\nclasses:\n  - id: dns\n    label: DNS\n    fields:\n"
                          "      - {name: zone, kind: select, options: [internal, public], required: true}\n"
                          "      - {name: ttl, label: TTL, kind: number}\n")
    dns = next(c for c in policy.classes if c.id == "dns")
    assert policy.class_required_at_resolve is True
    assert dns.fields == (ClassField("zone", "zone", FieldKind.SELECT, ("internal", "public"), True),
                          ClassField("ttl", "TTL", FieldKind.NUMBER))


def test_a_select_without_options_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="a select needs `options`"):
        parse_policy("classes:\n  - {id: dns, label: DNS, fields: [{name: zone, kind: select}]}\n")


def test_the_resolve_form_offers_the_class_and_says_when_it_is_needed() -> None:
    world = make_world(class_required_at_resolve=True)
    [block] = [b for b in resolve_modal("C1", world.services.policy)["blocks"] if b["block_id"] == "incident_class"]
    assert block["optional"] is True and block["hint"]["text"].startswith("Needed to resolve")
    assert [o["value"] for o in block["element"]["options"]][:2] == ["import-pipeline", "audit-failure"]


async def test_an_alert_source_resolves_without_a_class_as_it_cannot_choose_one() -> None:
    world = make_world(class_required_at_resolve=True)
    incident = await world.declare()
    changed = await world.services.incidents.change_status("T1", incident.id, "alertmanager", "resolved",  # type: ignore[arg-type]
                                                           automated=True)
    assert changed.status == "resolved" and changed.incident_class is None
    with pytest.raises(InvalidInput):
        check_resolvable(CLASSES, None, {}, require_class=True)


def test_what_was_typed_is_quoted_back_escaped() -> None:
    number = ClassField("tenants", "Tenants affected", FieldKind.NUMBER)
    with pytest.raises(InvalidCommand, match="`&lt;!channel&gt;` is not one"):
        number.check("<!channel>")
    with pytest.raises(InvalidCommand, match="`&lt;!here&gt;` is not a field of Cross-tenant authorization"):
        CROSS.field("<!here>")
