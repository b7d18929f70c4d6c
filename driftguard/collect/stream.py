"""Streaming reads of SOAP answers: bytes from the socket go into lxml as they arrive, and each item of the answer
(an ``ObjectContent`` of a property page, an event or task of a history page) is decoded and released as soon as
its closing tag is parsed, so no answer is ever held whole, as bytes or as a tree.

:class:`AnswerStream` also makes the transport's checks (``collect/transport.py``) on the fly, with the same
messages: the document must be one SOAP ``Envelope`` whose ``Body`` holds exactly one ``<Method>Response``; HTML,
a document type declaration, broken or truncated XML and values that do not fit their type are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from lxml import etree

from driftguard.collect.decoder import DecodeError, local
from driftguard.collect.errors import InvalidResponseError

_SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
_ENVELOPE = f"{{{_SOAPENV}}}Envelope"
_BODY = f"{{{_SOAPENV}}}Body"
_HEADER = f"{{{_SOAPENV}}}Header"
_VIM = "urn:vim25"
_DOCTYPE = b"<!DOCTYPE"
_SNIFF = 15

Shape = Literal["retrieve", "array"]
"""``retrieve``: a ``RetrieveResult`` (``objects`` items and a ``token``); ``array``: ``returnval`` items."""


class AnswerStream:
    """The parser of one ``200`` XML answer to ``method``; ``on_item(element)`` gets each item, then it is freed.

    ``label`` is the ``(content type, status)`` that refusals end with, as the transport's do.
    """

    def __init__(self, *, host: str, method: str, label: str, shape: Shape, on_item: Callable[[Any], None]) -> None:
        self.host = host
        self.method = method
        self.label = label
        self.shape = shape
        self.on_item = on_item
        self.expected = f"{method}Response"
        self.token: str | None = None
        self.items = 0
        self.returned = False
        """Whether the answer had a result (``returnval``) at all."""
        self._returnval = f"{{{_VIM}}}returnval"
        self._objects = f"{{{_VIM}}}objects"
        self._token = f"{{{_VIM}}}token"
        # Events only for the elements that matter: lxml makes no Python object for the others while parsing.
        self._parser = etree.XMLPullParser(
            events=("end",),
            tag=[f"{{{_VIM}}}objects", f"{{{_VIM}}}token", f"{{{_VIM}}}returnval"],
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
        )
        self._head = b""  # bytes held back until we know the answer does not start like HTML
        self._started = False
        self._tail = b""

    def refuse(self, what: str) -> InvalidResponseError:
        message = f"vCenter {self.host} answered {self.method} with {what} {self.label}"
        return InvalidResponseError(message, host=self.host)

    def feed(self, chunk: bytes) -> None:
        if not self._started:
            self._head += chunk
            stripped = self._head.lstrip()
            if len(stripped) < _SNIFF:
                return
            self._start(stripped)
            chunk, self._head = self._head, b""
        self._check_doctype(chunk)
        self._parse(chunk)

    def close(self) -> str | None:
        """Finish the document and check its structure; returns the page's continuation token (``retrieve``)."""
        if not self._started:
            stripped = self._head.lstrip()
            if not stripped:
                raise self.refuse("an empty body")
            self._start(stripped)
            self._check_doctype(self._head)
            self._parse(self._head)
        try:
            root = self._parser.close()
        except etree.XMLSyntaxError as error:
            raise self._broken(error) from None
        self._events()
        self._check_structure(root)
        return self.token

    def _check_structure(self, root: Any) -> None:
        """What is left of the tree once the items are gone: ``Envelope`` → ``Body`` → one ``<Method>Response``."""
        if root.tag != _ENVELOPE:
            raise self.refuse(f"an XML document that is not a SOAP envelope (<{local(str(root.tag))}>)")
        payload = None
        for part in root:
            if not isinstance(part.tag, str):
                continue
            if part.tag not in (_BODY, _HEADER):
                raise self.refuse(f"a SOAP envelope holding <{local(part.tag)}>")
            if part.tag != _BODY:
                continue
            for element in part:
                if not isinstance(element.tag, str):
                    continue
                if payload is not None:
                    raise self.refuse("a SOAP body with more than one element")
                payload = element
                if local(element.tag) != self.expected:
                    raise self.refuse(f"<{local(element.tag)}> instead of <{self.expected}>")
        if payload is None:
            raise self.refuse(f"a SOAP envelope without {self.expected}")

    def _start(self, stripped: bytes) -> None:
        self._started = True
        if stripped[:_SNIFF].lower().startswith((b"<!doctype html", b"<html")):
            raise self.refuse("HTML")

    def _check_doctype(self, chunk: bytes) -> None:
        # SOAP forbids a DTD; refusing it up front also keeps entity expansion ("billion laughs") from costing time.
        if _DOCTYPE in self._tail + chunk:
            raise self.refuse("a document type declaration, which SOAP does not allow")
        self._tail = chunk[-len(_DOCTYPE) :]

    def _parse(self, chunk: bytes) -> None:
        try:
            self._parser.feed(chunk)
        except etree.XMLSyntaxError as error:
            raise self._broken(error) from None
        self._events()

    def _broken(self, error: etree.XMLSyntaxError) -> InvalidResponseError:
        line, column = error.position
        code = getattr(error, "code", None)
        what = "mismatched tag" if code == 76 else str(error.msg).split(",")[0].rstrip(". ").strip() or "error"
        return self.refuse(f"broken XML ({what} at line {line}, column {column})")

    def _events(self) -> None:
        try:
            for _event, elem in self._parser.read_events():
                self._close(elem)
        except etree.XMLSyntaxError as error:
            raise self._broken(error) from None
        except DecodeError as error:
            raise self.refuse(f"data that does not fit its type ({error})") from None

    def _close(self, elem: Any) -> None:
        parent = elem.getparent()
        if self.shape == "array":
            if elem.tag == self._returnval and self._is_response(parent):
                self.returned = True
                self._item(elem)
            return
        if elem.tag == self._returnval:
            if self._is_response(parent):
                self.returned = True
            return
        if parent is None or parent.tag != self._returnval or not self._is_response(parent.getparent()):
            return  # an element of that name deeper inside an item, or not where the answer has its data
        if elem.tag == self._objects:
            self._item(elem)
        elif elem.tag == self._token:
            self.token = elem.text or None
            _drop(elem)

    def _is_response(self, elem: Any) -> bool:
        if elem is None or local(elem.tag) != self.expected:
            return False
        body = elem.getparent()
        return body is not None and body.tag == _BODY and body.getparent() is not None

    def _item(self, elem: Any) -> None:
        self.items += 1
        self.on_item(elem)
        _drop(elem)


def _drop(elem: Any) -> None:
    """Free an element that has been read (and everything before it)."""
    elem.clear()
    parent = elem.getparent()
    if parent is not None:
        parent.remove(elem)


__all__ = ["AnswerStream", "InvalidResponseError", "Shape"]
