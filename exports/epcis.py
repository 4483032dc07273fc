"""Custody events as an EPCIS 2.0 JSON-LD document (``EPCISDocument``).

Each custody event of a batch or a meal becomes one EPCIS event (a receipt with both an
accepted and a rejected quantity becomes two: the accepted part ``conformant``, the
rejected part ``non_conformant``):

| custody event (biz_step / disposition) | EPCIS |
|---|---|
| batch commissioning / active | ObjectEvent ADD of the lot's quantity, ``ilmd`` with its dates and origin |
| shipping / in_transit | ObjectEvent OBSERVE; ``po`` and ``desadv`` transactions; source and destination: supplier and school (owning party and location) |
| receiving / conformant, non_conformant, partially_conformant | ObjectEvent OBSERVE per accepted or rejected part; arrival temperature as a ``sensorElementList`` |
| dispensing / available (出库 to the kitchen) | ObjectEvent OBSERVE |
| inspecting / conformant, non_conformant (tests, lifting a hold) | ObjectEvent OBSERVE; a laboratory report as a ``testres`` transaction |
| holding / non_conformant, recalled (封存, 召回) | ObjectEvent OBSERVE |
| meal commissioning (serving) | TransformationEvent: the lots used in, the meal out |
| sampling (留样) | ObjectEvent ADD of the sample |
| destroying / destroyed (a sample thrown away) | ObjectEvent DELETE of the sample |
| meal_planning, menu_adding, accompanying | ObjectEvent of the meal with the project's business steps |

Business steps and dispositions are CBV 2.0 words where the platform records one (it
records them as such: style rule 6); any other word becomes a URI of the project's own
vocabulary, ``{base}/ns/epcis/BizStep-{word}`` and ``…/Disp-{word}`` (e.g.
``Disp-partially_conformant``, ``BizStep-meal_planning``). Fields of the platform's own
go under the ``zq`` prefix, ``{base}/ns/epcis/``: every event names the custody event it
comes from (``zq:custodyEventID``, ``zq:custodyEventHash``: check it against the chain).

Event ids are GS1 Event Hash IDs (``exports.event_hash``). A correction (a custody event
with ``corrects_event_id``) is published as it was recorded, followed by a copy of each
EPCIS event of what it corrects with an ``errorDeclaration`` (declarationTime,
``incorrect_data``, correctiveEventIDs); no event is ever edited.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import IO, Any
from urllib.parse import quote

from sqlmodel import Session

from exports.directory import Directory, unit_code
from exports.event_hash import BIZ_STEPS, DISPOSITIONS, event_hash_id
from exports.scope import ExportScope, event_count, events_by_event_id, events_in_scope
from trace.models import CustodyEvent

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
PREFIX = "zq"
Progress = Callable[[int, int], None]


def namespace(base_url: str) -> str:
    return base_url.rstrip("/") + "/ns/epcis/"


def context(base_url: str) -> list[Any]:
    return [EPCIS_CONTEXT, {PREFIX: namespace(base_url)}]


def _local_time(at: datetime, offset: str) -> str:
    sign = 1 if offset[0] == "+" else -1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return at.astimezone(zone).isoformat(timespec="milliseconds")


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(value: Any) -> int | float:
    """A JSON number (the schema's decimal); quantities are kept to the gram."""
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


class EpcisMapper:
    """Turns custody events into EPCIS events, with the names the directory knows."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.ns = namespace(directory.base)
        self.namespaces = {PREFIX: self.ns}

    def vocabulary(self, kind: str, word: str | None) -> str | None:
        if word is None:
            return None
        words = BIZ_STEPS if kind == "BizStep" else DISPOSITIONS
        return word if word in words else f"{self.ns}{kind}-{quote(word, safe='')}"

    def events(self, event: CustodyEvent) -> list[dict[str, Any]]:
        """The EPCIS events of one custody event, each with its Event Hash ID."""
        payload = json.loads(event.payload)
        if event.stream.startswith("meal:"):
            mapped = self._meal(event, payload)
        else:
            mapped = self._batch(event, payload)
        for item in mapped:
            item["eventID"] = event_hash_id(item, self.namespaces)
        return [self._ordered(item) for item in mapped]

    @staticmethod
    def _ordered(item: dict[str, Any]) -> dict[str, Any]:
        first = ("type", "eventID", "eventTime", "eventTimeZoneOffset", "recordTime")
        return {k: item[k] for k in first if k in item} | {k: v for k, v in item.items() if k not in first}

    def _common(self, event: CustodyEvent, kind: str = "ObjectEvent") -> dict[str, Any]:
        common = {"type": kind, "eventTime": _local_time(event.occurred_at, event.tz_offset),
                  "eventTimeZoneOffset": event.tz_offset, "recordTime": _utc(event.recorded_at)}
        if kind == "ObjectEvent":
            common["action"] = event.action
        common["bizStep"] = self.vocabulary("BizStep", event.biz_step)
        if event.disposition:
            common["disposition"] = self.vocabulary("Disp", event.disposition)
        return common

    def _own_fields(self, event: CustodyEvent, **fields: Any) -> dict[str, Any]:
        own = {f"{PREFIX}:custodyEventID": event.event_id, f"{PREFIX}:custodyEventHash": event.hash}
        own |= {f"{PREFIX}:{name}": value for name, value in fields.items() if value not in (None, "", [])}
        return own

    def _where(self, event: CustodyEvent) -> dict[str, Any]:
        d = self.directory
        if event.school_id:
            location = d.school_location(event.school_id)
        elif event.supplier_id and event.biz_step == "commissioning":
            location = d.supplier_location(event.supplier_id)
        else:
            return {}
        return {"readPoint": {"id": location}, "bizLocation": {"id": location}}

    def _quantity(self, batch_id: int, quantity: Any = None, unit: str | None = None) -> list[dict[str, Any]]:
        element: dict[str, Any] = {"epcClass": self.directory.lot_uri(batch_id)}
        if quantity is not None:
            element |= {"quantity": _number(quantity), "uom": unit_code(unit or self.directory.lots[batch_id].unit)}
        return [element]

    def _shipment_links(self, event: CustodyEvent, payload: dict[str, Any]) -> dict[str, Any]:
        d = self.directory
        shipment = d.shipments.get(int(payload.get("shipment_id") or event.subject_id))
        links: dict[str, Any] = {}
        transactions = []
        order_number = payload.get("order_number") or (shipment.order_number if shipment else None)
        if order_number:
            transactions.append({"type": "po", "bizTransaction": d.order_uri(order_number)})
        if payload.get("shipment_id"):
            transactions.append({"type": "desadv", "bizTransaction": d.shipment_uri(payload["shipment_id"])})
        if transactions:
            links["bizTransactionList"] = transactions
        if event.supplier_id and event.school_id:
            links["sourceList"] = [{"type": "owning_party", "source": d.supplier_party(event.supplier_id)},
                                   {"type": "location", "source": d.supplier_location(event.supplier_id)}]
            links["destinationList"] = [
                {"type": "owning_party", "destination": d.school_party(event.school_id)},
                {"type": "location", "destination": d.school_location(event.school_id)}]
        return links

    def _batch(self, event: CustodyEvent, payload: dict[str, Any]) -> list[dict[str, Any]]:
        batch_id = event.batch_id
        assert batch_id is not None
        base = self._common(event)
        step = event.biz_step
        if step == "commissioning":
            lot = self.directory.lots[batch_id]
            item = base | {"quantityList": self._quantity(batch_id, payload.get("quantity"), payload.get("unit"))}
            item |= self._where(event)
            item["ilmd"] = {"cbvmda:itemExpirationDate": lot.expiry_date.isoformat(),
                            f"{PREFIX}:productionDate": lot.production_date.isoformat(),
                            f"{PREFIX}:origin": lot.origin, f"{PREFIX}:product": lot.product}
            return [item | self._own_fields(event)]
        if step == "shipping":
            item = base | {"quantityList": self._quantity(batch_id, payload.get("quantity"), payload.get("unit"))}
            item |= self._where(event) | self._shipment_links(event, payload)
            return [item | self._own_fields(event)]
        if step == "receiving":
            return self._receiving(event, payload, base)
        if step == "dispensing":
            item = base | {"quantityList": self._quantity(batch_id, payload.get("quantity"), payload.get("unit"))}
            return [item | self._where(event) | self._own_fields(event, meal=payload.get("meal"),
                                                                  dish=payload.get("dish"))]
        if step == "inspecting" and event.subject_type == "test_result":
            item = base | {"quantityList": self._quantity(batch_id)} | self._where(event)
            if payload.get("report_number"):
                item["bizTransactionList"] = [{"type": "testres",
                                               "bizTransaction": self.directory.report_uri(payload["report_number"])}]
            fields = {"testKind": payload.get("kind"), "testMethod": payload.get("method"),
                      "testOutcome": payload.get("outcome"), "testVerdict": payload.get("verdict"),
                      "testValue": payload.get("value"), "testValueUnit": payload.get("value_unit"),
                      "laboratory": payload.get("laboratory")}
            return [item | self._own_fields(event, **fields)]
        # Holds, releases, recalls, and any step the platform records later: the lot, where, why.
        quantity = payload.get("quantity")
        item = base | {"quantityList": self._quantity(batch_id, quantity, payload.get("unit"))} | self._where(event)
        return [item | self._own_fields(event, reason=payload.get("reason"))]

    def _receiving(self, event: CustodyEvent, payload: dict[str, Any], base: dict[str, Any]) -> list[dict[str, Any]]:
        batch_id = event.batch_id
        assert batch_id is not None
        links = self._where(event) | self._shipment_links(event, payload)
        temperature = payload.get("arrival_temperature_celsius")
        if temperature is not None:
            links["sensorElementList"] = [{"sensorReport": [{"type": "Temperature", "value": _number(temperature),
                                                             "uom": "CEL"}]}]
        parts = [("conformant", payload.get("accepted_quantity")), ("non_conformant", payload.get("rejected_quantity"))]
        parts = [(disposition, q) for disposition, q in parts if q is not None and Decimal(str(q)) > 0]
        if not parts:  # nothing counted: keep the event as recorded
            parts = [(event.disposition or "conformant", payload.get("accepted_quantity"))]
        items = []
        for disposition, quantity in parts:
            item = base | {"quantityList": self._quantity(batch_id, quantity, payload.get("unit")),
                           "disposition": self.vocabulary("Disp", disposition)} | links
            reason = payload.get("rejection_reason") if disposition == "non_conformant" else None
            items.append(item | self._own_fields(event, rejectionReason=reason))
        return items

    def _meal(self, event: CustodyEvent, payload: dict[str, Any]) -> list[dict[str, Any]]:
        d = self.directory
        meal_id = event.stream.split(":", 1)[1]
        where = self._where(event)
        if payload.get("epcis_event_type") == "TransformationEvent":
            item = self._common(event, "TransformationEvent")
            item["inputQuantityList"] = [
                {"epcClass": d.lot_uri(lot["batch_id"]), "quantity": _number(lot["quantity"]),
                 "uom": unit_code(lot["unit"])} for lot in payload["input_quantity_list"]]
            item["outputEPCList"] = [d.meal_uri(meal_id)]
            output = payload.get("output", {})
            return [item | where | self._own_fields(event, meal=output.get("meal"), mealDate=output.get("meal_date"),
                                                    dishes=output.get("dishes"))]
        item = self._common(event)
        if event.biz_step == "sampling":
            item["epcList"] = [d.sample_uri(event.event_id)]
            fields = {"sampleOf": d.meal_uri(meal_id), "dish": payload.get("dish"),
                      "weightGrams": payload.get("weight_grams"), "fridge": payload.get("fridge")}
        elif event.biz_step == "destroying" and payload.get("sample_event_id"):
            item["epcList"] = [d.sample_uri(payload["sample_event_id"])]
            fields = {"sampleOf": d.meal_uri(meal_id), "dish": payload.get("dish"), "note": payload.get("note")}
        else:
            item["epcList"] = [d.meal_uri(meal_id)]
            fields = {"meal": payload.get("meal"), "mealDate": payload.get("meal_date"), "dish": payload.get("dish"),
                      "dishes": payload.get("dishes"), "companion": payload.get("name"),
                      "companionTitle": payload.get("title")}
        return [item | where | self._own_fields(event, **fields)]

    def declarations(self, corrected: CustodyEvent, correction: CustodyEvent,
                     corrective_ids: list[str]) -> list[dict[str, Any]]:
        """Copies of the corrected event's EPCIS events, each declared in error (same eventID)."""
        payload = json.loads(correction.payload)
        reason = payload.get("error_reason")
        declaration: dict[str, Any] = {
            "declarationTime": _utc(correction.recorded_at),
            "reason": reason if reason in ("did_not_occur", "incorrect_data") else "incorrect_data",
            "correctiveEventIDs": corrective_ids}
        return [item | {"errorDeclaration": declaration} for item in self.events(corrected)]


def _batch_ids_of_transformation(event: CustodyEvent) -> list[int]:
    if not event.stream.startswith("meal:") or event.biz_step != "commissioning":
        return []
    payload = json.loads(event.payload)
    return [lot["batch_id"] for lot in payload.get("input_quantity_list", [])]


def epcis_event_pages(session: Session, scope: ExportScope, base_url: str,
                      progress: Progress | None = None) -> Iterator[list[dict[str, Any]]]:
    """The document's events, a page of custody events at a time, with their error declarations."""
    directory = Directory(session, base_url)
    mapper = EpcisMapper(directory)
    total, done = (event_count(session, scope), 0) if progress else (0, 0)
    for page in events_in_scope(session, scope):
        corrected = events_by_event_id(session, {e.corrects_event_id for e in page if e.corrects_event_id})
        extra = [b for e in [*page, *corrected.values()] for b in _batch_ids_of_transformation(e)]
        directory.load([*page, *corrected.values()], extra_batch_ids=extra)
        out: list[dict[str, Any]] = []
        for event in page:
            mapped = mapper.events(event)
            out += mapped
            original = corrected.get(event.corrects_event_id or "")
            # A correction stands on the chain of what it corrects; anything else declares nothing.
            if original is not None and original.stream == event.stream:
                out += mapper.declarations(original, event, [m["eventID"] for m in mapped])
        done += len(page)
        if progress:
            progress(done, total)
        yield out


def write_epcis_document(session: Session, scope: ExportScope, out: IO[bytes], *, base_url: str,
                         progress: Progress | None = None, created: datetime | None = None) -> int:
    """Write the EPCISDocument to ``out`` event by event; returns how many EPCIS events it holds."""
    head = {"@context": context(base_url), "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": _utc(created or datetime.now(UTC)),
            "sender": base_url.rstrip("/")}
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "epcisBody": {"eventList": ['
    out.write(opening.encode("utf-8"))
    count = 0
    for events in epcis_event_pages(session, scope, base_url, progress):
        for item in events:
            out.write(((",\n" if count else "\n") + json.dumps(item, ensure_ascii=False)).encode("utf-8"))
            count += 1
    out.write(b"\n]}}\n")
    return count
