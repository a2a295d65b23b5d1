"""Turning one YAML scalar into an RDF literal of the type the ontology gives.

Each converter returns the literal, or raises ValueError with a message that
says what was expected.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable

import pycountry
from license_expression import Licensing, get_spdx_licensing
from rdflib import XSD, Literal, URIRef

from ingest.problems import suggestion
from ingest.vocab import WIKIDATA

_YEAR_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_QID = re.compile(r"^Q[1-9]\d*$")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"expected a number, got {value!r} (write large numbers as 70000000000 or 7.0e+10)") from None


def to_integer(value: Any) -> Literal:
    number = _number(value)
    if not number.is_integer():
        raise ValueError(f"expected a whole number, got {value!r}")
    return Literal(int(number), datatype=XSD.integer)


def to_decimal(value: Any) -> Literal:
    _number(value)
    return Literal(Decimal(str(value)), datatype=XSD.decimal)


def to_double(value: Any) -> Literal:
    return Literal(_number(value), datatype=XSD.double)


def to_boolean(value: Any) -> Literal:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return Literal(value)


def to_string(value: Any) -> Literal:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected text, got {value!r}; put it in quotes")
    return Literal(value.strip())


def to_date(value: Any) -> Literal:
    """A day (2024-04-18), or a month (2024-04) or year (2024) when the source gives no day."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return Literal(value, datatype=XSD.date)
    if isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100:
        return Literal(str(value), datatype=XSD.gYear)
    if isinstance(value, str) and _YEAR_MONTH.match(value):
        return Literal(value, datatype=XSD.gYearMonth)
    raise ValueError(f"expected a date as YYYY-MM-DD (or YYYY-MM, YYYY), got {value!r}")


def to_uri(value: Any) -> Literal:
    if not isinstance(value, str) or not re.match(r"^https?://\S+$", value):
        raise ValueError(f"expected a URL starting with http:// or https://, got {value!r}")
    return Literal(value, datatype=XSD.anyURI)


def to_wikidata(value: Any) -> URIRef:
    if not isinstance(value, str) or not _QID.match(value):
        raise ValueError(f"expected a Wikidata QID such as Q95, got {value!r}")
    return WIKIDATA[value]


def country_code(value: Any) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased."""
    if isinstance(value, str) and pycountry.countries.get(alpha_2=value.upper()):
        return value.upper()
    hint = ""
    if isinstance(value, str) and len(value) > 2:
        try:
            hint = f"; did you mean '{pycountry.countries.lookup(value).alpha_2}'?"
        except LookupError:
            pass
    raise ValueError(f"expected an ISO 3166-1 alpha-2 country code such as US or FR, got {value!r}{hint}")


@lru_cache(maxsize=1)
def _spdx() -> Licensing:
    return get_spdx_licensing()   # parses the bundled licence list: ~1 s, so once


@lru_cache(maxsize=1)
def _spdx_ids() -> tuple[str, ...]:
    """SPDX License List ids and exceptions; scancode's own LicenseRef- keys are not on the list."""
    return tuple(key for key in _spdx().known_symbols if not key.startswith("LicenseRef-"))


def to_spdx(value: Any) -> Literal:
    """An SPDX licence expression (MIT, Apache-2.0, MIT OR Apache-2.0), written as the SPDX list writes it."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected an SPDX licence id such as Apache-2.0, got {value!r}")
    info = _spdx().validate(value)
    unknown = list(info.invalid_symbols or []) + [t for t in re.split(r"[\s()]+", value) if t.startswith("LicenseRef-")]
    if info.errors or unknown:
        word = (unknown or [value])[0]
        raise ValueError(f"'{word}' is not an id on the SPDX License List{suggestion(word, _spdx_ids())} "
                         "(a licence with no SPDX id leaves spdx out)")
    if info.normalized_expression != value:
        raise ValueError(f"write the SPDX expression as the list does: '{info.normalized_expression}', not {value!r}")
    return Literal(value)


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or country.name


CONVERTERS: dict[URIRef, Callable[[Any], Literal]] = {
    XSD.integer: to_integer,
    XSD.decimal: to_decimal,
    XSD.double: to_double,
    XSD.boolean: to_boolean,
    XSD.string: to_string,
    XSD.date: to_date,
    XSD.anyURI: to_uri,
}


def earliest_day(date: Literal) -> dt.date:
    """The first day a date of any precision (xsd:date, gYearMonth, gYear) covers."""
    text = str(date)
    return dt.date.fromisoformat(text) if len(text) == 10 else dt.date(int(text[:4]), int(text[5:7] or 1) if len(text) > 4 else 1, 1)


def latest_day(date: Literal) -> dt.date:
    """The last day a date of any precision covers."""
    text = str(date)
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    if len(text) == 4:
        return dt.date(int(text), 12, 31)
    year, month = int(text[:4]), int(text[5:7])
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
