"""GS1's EPCIS Event Hash ID (CBV 2.0, §8.9): an event's id derived from its content.

``ni:///sha-256;{hex}?ver=CBV2.0`` over a *pre-hash string*: the event's fields in one
canonical order, each ``key=value``, with no separators; lists sorted; vocabulary, EPC
URNs and Digital Links in one canonical form; timestamps in UTC at millisecond
precision. Two parties that hold the same event compute the same id, whatever JSON
key order, CURIE or URN spelling each used, so a recipient of an export can recompute
every ``eventID`` and see that the event was not altered.

Written from the rules and the canonical property order published with GS1's
reference implementation, github.com/RalphTro/epcis-event-hash-generator (README
"Algorithm", rules 1-24; ``epcis_event_hash_generator/hash_generator.py`` and
``__init__.py`` ``PROP_ORDER``), CBV 2.0 variant. Its three worked examples are the test
vectors in ``tests/exports/test_event_hash.py``. Pure functions: no database.

What the CBV 2.0 variant does that a reader might not expect, all followed here:
- ``recordTime``, ``eventID``, ``errorDeclaration`` and ``certificationInfo`` are not
  hashed, so an error declaration is a copy of the event with the same id;
- the ``sensorElementList`` wrapper name is not written (CBV 2.1 adds it);
- user extensions inside ``readPoint``/``bizLocation``/sensor fields go to the trailing
  block of extensions, prefixed by their parent's name (CBV 2.1 keeps them inline).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from trace.digital_link import gtin_check_digit

VERSION = "CBV2.0"
CBV = "https://ref.gs1.org/cbv/"
GS1_VOC = "https://ref.gs1.org/voc/"
GS1_ID = "https://id.gs1.org"

# CBV 2.0 words a JSON event may write bare; only these are expanded (rule 16).
BIZ_STEPS = frozenset("""accepting arriving assembling collecting commissioning consigning creating_class_instance
cycle_counting decommissioning departing destroying disassembling dispensing encoding entering_exiting holding
inspecting installing killing loading other packing picking receiving removing repackaging repairing replacing
reserving retail_selling sampling sensor_reporting shipping staging_outbound stock_taking stocking storing
transporting unloading unpacking void_shipping""".split())
DISPOSITIONS = frozenset("""active available completeness_inferred completeness_verified conformant container_closed
container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit inactive mismatch_class
mismatch_instance mismatch_quantity needs_replacement no_pedigree_match non_conformant non_sellable_other
partially_dispensed recalled reserved retail_sold returned sellable_accessible sellable_not_accessible stolen unavailable
unknown""".split())
BIZ_TRANSACTION_TYPES = frozenset("bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt".split())
SOURCE_DESTINATION_TYPES = frozenset({"owning_party", "possessing_party", "location"})
_VOCABULARY = {"bizStep": ("BizStep-", BIZ_STEPS), "disposition": ("Disp-", DISPOSITIONS),
               "set": ("Disp-", DISPOSITIONS), "unset": ("Disp-", DISPOSITIONS)}
_TYPED = {"bizTransactionList": ("bizTransaction", "BTT-", BIZ_TRANSACTION_TYPES),
          "sourceList": ("source", "SDT-", SOURCE_DESTINATION_TYPES),
          "destinationList": ("destination", "SDT-", SOURCE_DESTINATION_TYPES)}
_URN_VOCABULARY = {"urn:epcglobal:cbv:bizstep:": CBV + "BizStep-", "urn:epcglobal:cbv:disp:": CBV + "Disp-",
                   "urn:epcglobal:cbv:btt:": CBV + "BTT-", "urn:epcglobal:cbv:sdt:": CBV + "SDT-",
                   "urn:epcglobal:cbv:er:": CBV + "ER-"}
# Prefixes every EPCIS 2.0 document knows from the standard context. ``cbvmda`` is written
# as its XML namespace (no trailing colon) so JSON and XML events hash alike.
STANDARD_NAMESPACES = {"cbv": CBV, "gs1": GS1_VOC, "cbvmda": "urn:epcglobal:cbv:mda"}
_EPC_LISTS = ("epcList", "inputEPCList", "childEPCs", "outputEPCList")
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
_SENSOR_METADATA = ("time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
                    "bizRules")
_SENSOR_REPORT = ("type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "time",
                  "microorganism", "chemicalSubstance", "value", "component", "stringValue", "booleanValue",
                  "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue",
                  "uom", "coordinateReferenceSystem")
# The canonical property order (rule 1); eventType comes first, then these.
ORDER = ("eventTime", "eventTimeZoneOffset", "epcList", "parentID", "inputEPCList", "childEPCs", "quantityList",
         "childQuantityList", "inputQuantityList", "outputEPCList", "outputQuantityList", "action", "transformationID",
         "bizStep", "disposition", "persistentDisposition", "readPoint", "bizLocation", "bizTransactionList",
         "sourceList", "destinationList", "sensorElementList", "ilmd")
NOT_HASHED = frozenset({"@context", "type", "eventID", "recordTime", "errorDeclaration", "certificationInfo"})


def event_hash_id(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    """The event's ``ni:///sha-256;…?ver=CBV2.0`` id; ``namespaces`` maps the document's
    extension prefixes to their URIs (its ``@context``)."""
    digest = hashlib.sha256(pre_hash(event, namespaces).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver={VERSION}"


def pre_hash(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    """The canonical pre-hash string of one EPCIS 2.0 JSON event."""
    names = {**STANDARD_NAMESPACES, **(namespaces or {})}
    parts = [f"eventType={event['type']}"]
    trailing: list[str] = []
    for key in ORDER:
        if key in event and (text := _standard_field(key, event[key], names, trailing)):
            parts.append(text)
    extensions = [key for key in event if key not in ORDER and key not in NOT_HASHED]
    trailing.extend(_generic(key, event[key], names) for key in extensions)
    return "".join(parts) + "".join(sorted(t for t in trailing if t))


def _standard_field(key: str, value: Any, names: Mapping[str, str], trailing: list[str]) -> str:
    if key in _EPC_LISTS:
        return _listed(key, [f"epc={canonical_value(epc)}" for epc in value])
    if key in _QUANTITY_LISTS:
        elements = ["quantityElement" + "".join(_pair(name, element.get(name)) for name in ("epcClass", "quantity", "uom"))
                    for element in value]
        return _listed(key, elements)
    if key in _VOCABULARY:
        return _pair(key, _vocabulary(key, value))
    if key == "persistentDisposition":
        inner = "".join(_listed("", [_pair(name, _vocabulary(name, v)) for v in value.get(name, [])])
                        for name in ("set", "unset"))
        return key + inner if inner else ""
    if key in ("readPoint", "bizLocation"):
        _parent_extensions(key, value, ("id",), names, trailing)
        return key + _pair("id", value.get("id")) if value.get("id") else ""
    if key in _TYPED:
        item, prefix, words = _TYPED[key]
        elements = []
        for entry in value:
            kind = entry.get("type")
            typed = _pair("type", CBV + prefix + kind if kind in words else kind) if kind else ""
            elements.append(typed + _pair(item, entry.get(item)))
        return _listed(key, elements)
    if key == "sensorElementList":
        return "".join(sorted(_sensor_element(element, names, trailing) for element in value))
    if key == "ilmd":
        return _listed(key, [_generic(k, v, names) for k, v in value.items()])
    return _pair(key, value)


def _sensor_element(element: Mapping[str, Any], names: Mapping[str, str], trailing: list[str]) -> str:
    text = "sensorElement"
    metadata = element.get("sensorMetadata")
    if metadata:
        _parent_extensions("sensorMetadata", metadata, _SENSOR_METADATA, names, trailing)
        text += "sensorMetadata" + "".join(_pair(name, _sensor_value(name, metadata.get(name)))
                                           for name in _SENSOR_METADATA)
    reports = []
    for report in element.get("sensorReport", []):
        _parent_extensions("sensorReport", report, _SENSOR_REPORT, names, trailing)
        reports.append("sensorReport" + "".join(_pair(name, _sensor_value(name, report.get(name)))
                                                for name in _SENSOR_REPORT))
    _parent_extensions("sensorElement", element, ("sensorMetadata", "sensorReport"), names, trailing)
    return text + "".join(sorted(reports))


def _sensor_value(name: str, value: Any) -> Any:
    # A bare measurement type ("Temperature") is a term of the GS1 Web Vocabulary.
    if name == "type" and isinstance(value, str) and ":" not in value:
        return GS1_VOC + value
    return value


def _parent_extensions(parent: str, value: Mapping[str, Any], known: tuple[str, ...], names: Mapping[str, str],
                       trailing: list[str]) -> None:
    """CBV 2.0: extensions inside a standard field join the trailing block under their parent's name."""
    extra = sorted(_generic(k, v, names) for k, v in value.items() if k not in known)
    if extra:
        trailing.append(parent + "".join(extra))


def _listed(key: str, elements: list[str]) -> str:
    elements = sorted(e for e in elements if e)
    return key + "".join(elements) if elements else ""


def _pair(key: str, value: Any) -> str:
    if value is None:
        return ""
    text = _timestamp(value) if _is_time(key) else canonical_value(value)
    return f"{key}={text}" if text != "" else ""


def _is_time(key: str) -> bool:
    lowered = key.lower()
    return "time" in lowered and "offset" not in lowered


def _generic(key: str, value: Any, names: Mapping[str, str]) -> str:
    """An extension or ILMD element: ``{namespace}local=value``, children sorted (rules 19-20)."""
    name = expand_key(key, names)
    if isinstance(value, Mapping):
        return name + "".join(sorted(_generic(k, v, names) for k, v in value.items()))
    if isinstance(value, list):
        return "".join(sorted(_generic(key, item, names) for item in value))
    text = canonical_value(value, names)
    return f"{name}={text}" if text != "" else name


def expand_key(key: str, names: Mapping[str, str]) -> str:
    prefix, colon, local = key.partition(":")
    if colon and prefix in names:
        return "{" + names[prefix] + "}" + local
    return key


def _vocabulary(key: str, value: Any) -> Any:
    prefix, words = _VOCABULARY[key]
    return CBV + prefix + value if value in words else value


def canonical_value(value: Any, names: Mapping[str, str] | None = None) -> str:
    """A value as the pre-hash string writes it (rules 5-7, 14-18)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return canonical_number(value)
    text = str(value).strip()
    if _NUMBER.fullmatch(text):
        return canonical_number(text)
    for urn, web in _URN_VOCABULARY.items():
        if text.startswith(urn):
            return web + text[len(urn):]
    prefix, colon, local = text.partition(":")
    if colon and prefix in ("cbv", "gs1") and not local.startswith("//"):
        return STANDARD_NAMESPACES[prefix] + local
    if colon and names and prefix in names and prefix not in STANDARD_NAMESPACES:
        return names[prefix] + local
    if text.startswith(("urn:epc:id:", "urn:epc:class:")):
        return epc_urn_to_digital_link(text) or text
    if text.startswith(("http://", "https://")):
        return constrained_digital_link(text) or text
    return text


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")


def canonical_number(value: int | float | Decimal | str) -> str:
    """No trailing zeros, no exponent, no leading plus: 1.0 → 1, 0.3430 → 0.343."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _timestamp(value: Any) -> str:
    """UTC, millisecond precision (microseconds rounded half up), ``Z`` (rules 8-9)."""
    text = str(value).strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if isinstance(value, str) else value
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    milliseconds = (moment.microsecond + 500) // 1000
    moment = moment.replace(microsecond=0) + timedelta(milliseconds=milliseconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- EPC URNs and Digital Links (rules 17-18) ---------------------------------------------------


def _with_check(digits: str) -> str:
    return digits + gtin_check_digit(digits)


def epc_urn_to_digital_link(urn: str) -> str | None:
    """The canonical Digital Link of the EPC URNs an event may carry (TDS 2.0 §6/§7)."""
    scheme, _, body = urn.removeprefix("urn:epc:id:").removeprefix("urn:epc:class:").partition(":")
    parts = body.split(".")
    try:
        if scheme == "sgtin" and len(parts) == 3:
            company, item, serial = parts
            return f"{GS1_ID}/01/{_with_check(item[0] + company + item[1:])}/21/{serial}"
        if scheme == "lgtin" and len(parts) == 3:
            company, item, lot = parts
            return f"{GS1_ID}/01/{_with_check(item[0] + company + item[1:])}/10/{lot}"
        if scheme == "sscc" and len(parts) == 2:
            company, serial = parts
            return f"{GS1_ID}/00/{_with_check(serial[0] + company + serial[1:])}"
        if scheme == "sgln" and len(parts) == 3:
            company, location, extension = parts
            gln = _with_check(company + location)
            return f"{GS1_ID}/414/{gln}" + ("" if extension == "0" else f"/254/{extension}")
        if scheme == "pgln" and len(parts) == 2:
            return f"{GS1_ID}/417/{_with_check(parts[0] + parts[1])}"
        if scheme == "gdti" and len(parts) == 3:
            company, document, serial = parts
            return f"{GS1_ID}/253/{_with_check(company + document)}{serial}"
        if scheme == "giai" and len(parts) == 2:
            return f"{GS1_ID}/8004/{parts[0]}{parts[1]}"
    except (IndexError, ValueError):
        return None
    return None


# Primary keys and the qualifiers the constrained canonical form keeps (rule 18).
_KEYS = {"00": (), "01": ("21", "10", "235"), "253": (), "255": (), "401": (), "402": (), "414": ("254",), "417": (),
         "8003": (), "8004": (), "8006": ("21", "10"), "8010": ("8011",), "8017": (), "8018": ()}
_KEY_FORMAT = {"00": r"\d{18}", "01": r"\d{14}", "414": r"\d{13}", "417": r"\d{13}"}


def constrained_digital_link(uri: str) -> str | None:
    """A Digital Link on any domain as ``https://id.gs1.org/…`` with no query and only the
    finest key; None when the URI is not a Digital Link."""
    segments = [s for s in urlsplit(uri).path.split("/") if s]
    for start, segment in enumerate(segments):
        if segment not in _KEYS or start + 1 >= len(segments):
            continue
        key_value = segments[start + 1]
        if not re.fullmatch(_KEY_FORMAT.get(segment, r"[^/]+"), key_value):
            continue
        rest = segments[start + 2:]
        qualifiers = dict(zip(rest[::2], rest[1::2], strict=False))
        if len(rest) % 2:
            return None
        kept = [f"/{segment}/{key_value}"]
        for qualifier in _KEYS[segment]:
            if qualifier in qualifiers:
                kept.append(f"/{qualifier}/{qualifiers[qualifier]}")
                break  # the most fine-granular qualifier only: 21 before 10
        return GS1_ID + "".join(kept)
    return None
