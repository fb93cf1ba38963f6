"""What a typed SharePoint list column's value means, from the list's column definitions.

Graph gives a list item's ``fields`` by column type: text and choices as strings, numbers,
currency amounts and Yes/No as JSON numbers and booleans, a multi-choice as an array of
options, a multi-line rich-text column as the editor's HTML, a Person column only as
``<Column>LookupId`` (a multi-person one as an array of ``{LookupId, LookupValue, Email}``),
a date as a UTC instant. A Currency column's values are bare numbers: the currency is the
column definition's ``currency.locale`` (``de-DE`` is euros), turned into an ISO code here by
its country.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

EURO_COUNTRIES = frozenset(
    ("AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV",
     "MT", "NL", "PT", "SI", "SK")
)  # fmt: skip
COUNTRY_CURRENCIES: dict[str, str] = {
    **{country: "EUR" for country in EURO_COUNTRIES},
    "US": "USD", "GB": "GBP", "CH": "CHF", "LI": "CHF", "CA": "CAD", "AU": "AUD",
    "NZ": "NZD", "JP": "JPY", "CN": "CNY", "IN": "INR", "SE": "SEK", "NO": "NOK", "DK": "DKK",
    "PL": "PLN", "CZ": "CZK", "HU": "HUF", "RO": "RON", "BG": "BGN", "BR": "BRL", "MX": "MXN",
    "ZA": "ZAR", "SG": "SGD", "HK": "HKD", "IL": "ILS", "TR": "TRY", "AE": "AED", "SA": "SAR",
    "KR": "KRW", "IS": "ISK", "UA": "UAH",
}  # fmt: skip
"""Country (a locale's region) -> the currency its Currency columns show."""
_GUEST = re.compile(r"^(?P<local>.+)_(?P<domain>[^_@#]+)#ext#@", re.IGNORECASE)


def locale_currency(locale: str | None) -> str | None:
    """The ISO currency of a currency column's locale (``de-DE`` -> EUR), None if unknown."""
    if not locale:
        return None
    region = re.split(r"[-_]", locale.strip())[-1].upper()
    return COUNTRY_CURRENCIES.get(region)


def guest_address(name: str | None) -> str | None:
    """A guest's own address from their sign-in name (``jo_fabrikam.com#EXT#@contoso...``
    -> ``jo@fabrikam.com``); other names as they are."""
    if not name:
        return name
    match = _GUEST.match(name)
    return f"{match['local']}@{match['domain']}" if match else name


def column_kind(definition: Mapping[str, Any]) -> str:
    """The type facet a column definition carries (text, number, currency, personOrGroup...)."""
    for kind in ("personOrGroup", "currency", "choice", "boolean", "number", "dateTime",
                 "text", "lookup", "calculated"):  # fmt: skip
        if kind in definition:
            return kind
    return "text"


def is_rich_text(definition: Mapping[str, Any]) -> bool:
    facet = definition.get("text")
    return isinstance(facet, Mapping) and facet.get("textType") == "richText"


def multi_person_lookups(value: Any) -> list[tuple[str, str | None]]:
    """(lookup id, the Email Graph gave or None) of each person of a multi-person field."""
    if not isinstance(value, list):
        return []
    found = []
    for person in value:
        if isinstance(person, Mapping) and person.get("LookupId") is not None:
            email = person.get("Email")
            found.append((str(person["LookupId"]), email if isinstance(email, str) else None))
    return found
