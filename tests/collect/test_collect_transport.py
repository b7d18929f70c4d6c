"""The SOAP answer checks of :mod:`driftguard.collect.transport`, on crafted bytes (no network).

The same checks run against the real simulator behind a fault proxy in ``tests/faults/test_collect_garbage.py``;
these cases pin the structural rules one by one and run in milliseconds.
"""

from __future__ import annotations

import pytest
from pyVmomi import VmomiSupport, vim, vmodl

from driftguard.collect import DeadlineError, InvalidResponseError, to_raw
from driftguard.collect.decoder import Decoder
from driftguard.collect.stream import AnswerStream
from driftguard.collect.transport import Answer, Budget, CheckedStub, _deserialize

ENV = 'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
RETRIEVE = VmomiSupport.GetVmodlType("vmodl.query.PropertyCollector").RetrievePropertiesEx.info
RESULT = RETRIEVE.result


def envelope(body: str, header: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope {ENV}>{header}<soapenv:Body>{body}'
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


@pytest.fixture
def stub() -> CheckedStub:
    # Building the stub opens no connection; it only gives the deserialiser a version and a stub for references.
    return CheckedStub(url="http://127.0.0.1:1/sdk", version="vim.version.version9", budget=Budget("vc01", 60, None))


def decode(stub: CheckedStub, body: bytes, status: int = 200, content_type: str = "text/xml; charset=utf-8") -> object:
    return _deserialize(stub, Answer(status, content_type, body), RESULT, "RetrievePropertiesEx", "vc01")


def test_empty_answer_is_a_real_empty_result(stub: CheckedStub) -> None:
    assert decode(stub, envelope('<RetrievePropertiesExResponse xmlns="urn:vim25"/>')) is None


def test_soap_header_before_the_body_is_fine(stub: CheckedStub) -> None:
    header = '<soapenv:Header><operationID xmlns="urn:vim25">abc</operationID></soapenv:Header>'
    assert decode(stub, envelope('<RetrievePropertiesExResponse xmlns="urn:vim25"/>', header)) is None


@pytest.mark.parametrize(
    ("body", "status", "content_type", "reason"),
    [
        (
            b'<?xml version="1.0"?><page><RetrievePropertiesExResponse/></page>',
            200,
            "text/xml",
            "an XML document that is not a SOAP envelope (<page>)",
        ),
        (
            envelope('<LoginResponse xmlns="urn:vim25"/>'),
            200,
            "text/xml",
            "<LoginResponse> instead of <RetrievePropertiesExResponse>",
        ),
        (envelope(""), 200, "text/xml", "a SOAP envelope without RetrievePropertiesExResponse"),
        (
            envelope('<RetrievePropertiesExResponse xmlns="urn:vim25"/><x/>'),
            200,
            "text/xml",
            "a SOAP body with more than one element",
        ),
        (envelope('<RetrievePropertiesExResponse xmlns="urn:vim25"/>')[:-30], 200, "text/xml", "broken XML ("),
        (
            envelope('<RetrievePropertiesExResponse xmlns="urn:vim25"/>'),
            200,
            "text/plain",
            "a body that is not XML (text/plain, 200)",
        ),
        (envelope('<RetrievePropertiesExResponse xmlns="urn:vim25"/>'), 200, "", "(no content type, 200)"),
        (
            envelope('<RetrievePropertiesExResponse xmlns="urn:vim25"/>'),
            500,
            "text/xml",
            "<RetrievePropertiesExResponse> instead of <Fault>",
        ),
        (b"<html><body>sign in</body></html>", 200, "text/xml", "with HTML (text/xml, 200)"),
        (b"  \n", 200, "text/xml", "with an empty body"),
        (b"", 404, "text/html", "with HTTP status 404 (text/html)"),
        (
            envelope(
                '<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>t</token>'
                '<objects><obj type="HostSystem">host-1</obj><propSet><name>x</name>'
                '<val xsi:type="xsd:boolean">maybe</val></propSet></objects></returnval>'
                "</RetrievePropertiesExResponse>"
            ),
            200,
            "text/xml",
            "data pyVmomi cannot decode (TypeError",
        ),
    ],
    ids=[
        "not-soap",
        "wrong-response",
        "empty-body-element",
        "two-elements",
        "truncated",
        "text-plain",
        "no-content-type",
        "500-without-fault",
        "xhtml",
        "blank",
        "404",
        "undecodable",
    ],
)
def test_answers_that_are_not_the_answer(
    stub: CheckedStub, body: bytes, status: int, content_type: str, reason: str
) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        decode(stub, body, status, content_type)
    message = str(caught.value)
    assert message.startswith("vCenter vc01 answered RetrievePropertiesEx with "), message
    assert reason in message, message
    assert "\n" not in message


def test_entity_expansion_is_refused_before_parsing(stub: CheckedStub) -> None:
    entities = '<!ENTITY a0 "xxxxxxxxxx">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    body = envelope(
        '<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>&a9;</token></returnval>'
        "</RetrievePropertiesExResponse>"
    )
    body = body.replace(b"?>\n", f"?>\n<!DOCTYPE soapenv:Envelope [{entities}]>".encode(), 1)
    with pytest.raises(InvalidResponseError, match="a document type declaration, which SOAP does not allow"):
        decode(stub, body)


def test_a_fault_with_500_is_the_server_fault(stub: CheckedStub) -> None:
    fault = envelope(
        "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>no</faultstring><detail>"
        '<NoPermissionFault xmlns="urn:vim25" xsi:type="NoPermission"><privilegeId>System.View</privilegeId>'
        "</NoPermissionFault></detail></soapenv:Fault>"
    )
    obj = decode(stub, fault, status=500)
    assert isinstance(obj, vim.fault.NoPermission)
    assert isinstance(obj, vmodl.MethodFault)


def test_reference_of_an_unexpected_type_is_kept_with_its_type(stub: CheckedStub) -> None:
    # TaskInfo.entity is declared ManagedEntity; vCenter names the VirtualDiskManager on disk-deletion tasks.
    body = envelope(
        '<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="Task">task-9</obj>'
        '<propSet><name>info</name><val xsi:type="TaskInfo"><key>task-9</key><task type="Task">task-9</task>'
        "<name>DeleteVirtualDisk_Task</name><descriptionId>VirtualDiskManager.deleteVirtualDisk</descriptionId>"
        '<entity type="VirtualDiskManager">virtualDiskManager</entity><entityName>disks</entityName>'
        "<state>success</state><cancelled>false</cancelled><cancelable>false</cancelable>"
        '<reason xsi:type="TaskReasonUser"><userName>alice</userName></reason>'
        "<queueTime>2026-12-01T10:00:00Z</queueTime><eventChainId>7</eventChainId></val></propSet>"
        "</objects></returnval></RetrievePropertiesExResponse>"
    )
    result = decode(stub, body)
    info = to_raw(result.objects[0].propSet[0].val)  # type: ignore[attr-defined]
    assert info["entity"] == {
        "_type": "ManagedObjectReference",
        "type": "VirtualDiskManager",
        "value": "virtualDiskManager",
    }
    assert info["entityName"] == "disks"


def test_budget_without_deadline_uses_the_timeout() -> None:
    budget = Budget("vc01", 60, None)
    assert budget.socket_timeout() == 60
    assert not budget.overdue()


def test_budget_never_waits_longer_than_the_time_left() -> None:
    budget = Budget("vc01", 60, 5)
    assert 0 < budget.socket_timeout() <= 5


def test_spent_budget_refuses_the_next_request() -> None:
    budget = Budget("vc01", 60, 0)
    with pytest.raises(DeadlineError, match=r"^collection from vc01 exceeded the deadline of 0 s$"):
        budget.socket_timeout()
    assert budget.overdue()


STREAMED = [
    # (body, what the refusal says): the streaming decoder's checks of a 200 XML answer, same messages as above
    (
        b'<?xml version="1.0"?><page><RetrievePropertiesExResponse/></page>',
        "an XML document that is not a SOAP envelope (<page>)",
    ),
    (envelope('<LoginResponse xmlns="urn:vim25"/>'), "<LoginResponse> instead of <RetrievePropertiesExResponse>"),
    (envelope(""), "a SOAP envelope without RetrievePropertiesExResponse"),
    (envelope('<RetrievePropertiesExResponse xmlns="urn:vim25"/><x/>'), "a SOAP body with more than one element"),
    (envelope('<RetrievePropertiesExResponse xmlns="urn:vim25"/>')[:-30], "broken XML ("),
    (b'<?xml version="1.0"?>\n<a>\n<b></a>', "broken XML (mismatched tag at line 3"),
    (b"<html><body>sign in</body></html>", "with HTML (text/xml, 200)"),
    (b"  \n", "with an empty body"),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', "a document type declaration, which SOAP does not allow"),
    (
        envelope(
            '<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>t</token>'
            '<objects><obj type="HostSystem">host-1</obj><propSet><name>x</name>'
            '<val xsi:type="xsd:boolean">maybe</val></propSet></objects></returnval>'
            "</RetrievePropertiesExResponse>"
        ),
        "data that does not fit its type ('maybe' is not a valid bool)",
    ),
]


@pytest.mark.parametrize(("body", "reason"), STREAMED)
@pytest.mark.parametrize("chunk", [1, 7, 1 << 16])
def test_streamed_answers_that_are_not_the_answer(body: bytes, reason: str, chunk: int) -> None:
    decoder = Decoder("vim.version.version9")
    stream = AnswerStream(
        host="vc01",
        method="RetrievePropertiesEx",
        label="(text/xml, 200)",
        shape="retrieve",
        on_item=decoder.object_content,
    )
    with pytest.raises(InvalidResponseError) as caught:
        for start in range(0, len(body), chunk):
            stream.feed(body[start : start + chunk])
        stream.close()
    message = str(caught.value)
    assert message.startswith("vCenter vc01 answered RetrievePropertiesEx with "), message
    assert reason in message, message
    assert "\n" not in message


def test_streamed_empty_answer_and_token() -> None:
    body = envelope(
        '<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>t-2</token><objects>'
        '<obj type="HostSystem">host-1</obj></objects></returnval></RetrievePropertiesExResponse>',
        '<soapenv:Header><operationID xmlns="urn:vim25">abc</operationID></soapenv:Header>',
    )
    items: list[object] = []
    decoder = Decoder("vim.version.version9")
    stream = AnswerStream(
        host="vc01",
        method="RetrievePropertiesEx",
        label="(text/xml, 200)",
        shape="retrieve",
        on_item=lambda elem: items.append(decoder.object_content(elem)),
    )
    stream.feed(body)
    assert stream.close() == "t-2" and stream.returned
    assert items == [
        {"_type": "ObjectContent", "obj": {"_type": "ManagedObjectReference", "type": "HostSystem", "value": "host-1"}}
    ]
    empty = AnswerStream(
        host="vc01",
        method="ContinueRetrievePropertiesEx",
        label="(text/xml, 200)",
        shape="retrieve",
        on_item=items.append,
    )
    empty.feed(envelope('<ContinueRetrievePropertiesExResponse xmlns="urn:vim25"/>'))
    assert empty.close() is None and not empty.returned
