"""The EPCIS Event Hash ID against GS1's published vectors: the three worked examples of the
reference implementation (github.com/RalphTro/epcis-event-hash-generator, README "Worked
examples", CBV 2.0 hashes) and the quantity-list pre-hash of evrythng/epcis2.js's tests."""

from __future__ import annotations

import copy

from exports.event_hash import event_hash_id, pre_hash

EXAMPLE = {"example": "https://ns.example.com/epcis/"}

EXAMPLE_1 = {
    "type": "ObjectEvent", "eventTime": "2020-03-04T11:00:30.000+01:00", "eventTimeZoneOffset": "+01:00",
    "recordTime": "2020-03-04T11:00:30.999+01:00",
    "epcList": ["urn:epc:id:sscc:4012345.0000000333", "urn:epc:id:sscc:4012345.0000000111",
                "urn:epc:id:sscc:4012345.0000000222"],
    "action": "OBSERVE", "bizStep": "departing", "readPoint": {"id": "urn:epc:id:sgln:4012345.00011.987"},
    "example:myField1": {"example:mySubField1": "2", "example:mySubField2": "5"}, "example:myField2": "0",
    "example:myField3": {"example:mySubField3": ["3", "1"]},
}
EXAMPLE_2 = {
    "type": "ObjectEvent", "eventTime": "2020-04-01T15:00:00+01:00", "eventTimeZoneOffset": "+01:00",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.9876"], "action": "OBSERVE", "bizStep": "inspecting",
    "readPoint": {"id": "urn:epc:id:sgln:4012345.00005.0"},
    "sensorElementList": [{
        "sensorMetadata": {"deviceID": "urn:epc:id:giai:4000001.111",
                           "deviceMetadata": "https://id.gs1.org/8004/4000001111"},
        "sensorReport": [
            {"type": "Temperature", "value": 26, "sDev": 0.1, "uom": "CEL"},
            {"type": "AbsoluteHumidity", "value": 12.1, "uom": "A93"},
            {"type": "Dimensionless", "microorganism": "https://www.ncbi.nlm.nih.gov/taxonomy/1126011", "value": 0.05,
             "uom": "C35"},
            {"type": "Dimensionless", "chemicalSubstance": "https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N",
             "value": 0.18, "uom": "C35"},
        ],
    }],
}
EXAMPLE_3 = {
    "type": "ObjectEvent", "eventTime": "2020-03-04T11:00:30+01:00", "eventTimeZoneOffset": "+01:00",
    "epcList": ["urn:epc:id:sgtin:0614141.011111.987"], "action": "OBSERVE", "bizStep": "departing",
    "disposition": "in_transit", "readPoint": {"id": "urn:epc:id:sgln:4012345.00011.0", "example:myField1": "AB-12"},
    "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epc:id:gdti:4012345.11111.123"}],
    "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}],
    "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:0614141.00000"}],
    "example:userExt": "CD-34",
}


def test_example_1_user_extensions_at_event_level():
    assert pre_hash(EXAMPLE_1, EXAMPLE) == (
        "eventType=ObjectEventeventTime=2020-03-04T10:00:30.000ZeventTimeZoneOffset=+01:00"
        "epcListepc=https://id.gs1.org/00/040123450000001112epc=https://id.gs1.org/00/040123450000002225"
        "epc=https://id.gs1.org/00/040123450000003338action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-departing"
        "readPointid=https://id.gs1.org/414/4012345000115/254/987"
        "{https://ns.example.com/epcis/}myField1{https://ns.example.com/epcis/}mySubField1=2"
        "{https://ns.example.com/epcis/}mySubField2=5{https://ns.example.com/epcis/}myField2=0"
        "{https://ns.example.com/epcis/}myField3{https://ns.example.com/epcis/}mySubField3=1"
        "{https://ns.example.com/epcis/}mySubField3=3")
    assert event_hash_id(EXAMPLE_1, EXAMPLE) == (
        "ni:///sha-256;6ae96341e0acc6d7a261364751f60e68278a81cdf51da0abb6b4e617014e39d7?ver=CBV2.0")


def test_example_2_sensor_data():
    assert event_hash_id(EXAMPLE_2) == (
        "ni:///sha-256;271565c346ae2fb28c4583c4dca4ab4772d465eb4e0b6e548d77d8b49377d95c?ver=CBV2.0")


def test_example_3_business_transactions_sources_destinations_and_an_extension_in_read_point():
    assert event_hash_id(EXAMPLE_3, EXAMPLE) == (
        "ni:///sha-256;3ae14c02c4bdc220cc31942cf804f6845eb8dec96ba6483391c92a9b165f9329?ver=CBV2.0")


def test_a_quantity_list_is_sorted_and_lgtin_classes_become_lot_digital_links():
    ordered = {"type": "ObjectEvent", "quantityList": [
        {"epcClass": "urn:epc:class:lgtin:4054739.099914.20160711", "quantity": 600, "uom": "KGM"},
        {"uom": "KGM", "quantity": 2030, "epcClass": "urn:epc:class:lgtin:4012345.099988.2014-02-10"}]}
    assert pre_hash(ordered) == (
        "eventType=ObjectEventquantityListquantityElementepcClass=https://id.gs1.org/01/04012345999884/10/2014-02-10"
        "quantity=2030uom=KGMquantityElementepcClass=https://id.gs1.org/01/04054739999148/10/20160711"
        "quantity=600uom=KGM")


def test_the_id_ignores_record_time_event_id_and_an_error_declaration():
    declared = copy.deepcopy(EXAMPLE_3) | {
        "eventID": "ni:///sha-256;0?ver=CBV2.0", "recordTime": "2030-01-01T00:00:00Z",
        "errorDeclaration": {"declarationTime": "2030-01-01T00:00:00Z", "reason": "incorrect_data"}}
    assert event_hash_id(declared, EXAMPLE) == event_hash_id(EXAMPLE_3, EXAMPLE)


def test_the_id_follows_every_change_of_content():
    changed = copy.deepcopy(EXAMPLE_3) | {"disposition": "damaged"}
    assert event_hash_id(changed, EXAMPLE) != event_hash_id(EXAMPLE_3, EXAMPLE)


def test_a_digital_link_on_our_own_resolver_hashes_as_the_canonical_gs1_one():
    ours = {"type": "ObjectEvent", "action": "OBSERVE",
            "quantityList": [{"epcClass": "https://trace.example/01/06970000000017/10/MS251101A?17=251231",
                              "quantity": 12.500, "uom": "KGM"}]}
    assert pre_hash(ours) == ("eventType=ObjectEventquantityListquantityElement"
                              "epcClass=https://id.gs1.org/01/06970000000017/10/MS251101Aquantity=12.5uom=KGM"
                              "action=OBSERVE")
