"""Country, state and province codes the address model checks against.

The country list is ISO 3166-1 alpha-2 as the public-domain tz database's iso3166.tab gives it
(current as of ISO/TC 46 N1108, 2023-04-05): 249 officially assigned codes. User-assigned codes
such as XK (Kosovo) are not in it; carriers spell those differently, so they would not be neutral.
"""

from __future__ import annotations

__all__ = ["CA_PROVINCES", "COUNTRIES", "EU_COUNTRIES", "US_STATES", "ZIP_COUNTRIES"]


def _codes(*rows: str) -> frozenset[str]:
    """The codes in ``rows``, separated by spaces (rows are joined with a space, so none runs on)."""
    return frozenset(" ".join(rows).split())


COUNTRIES: frozenset[str] = _codes(
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ",
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM",
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS",
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN",
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ",
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM",
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV",
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI",
    "VN VU WF WS YE YT ZA ZM ZW",
)

#: USPS state codes: the 50 states, DC, the territories and freely associated states that use ZIP
#: codes, and the military "states" AA, AE and AP.
US_STATES: frozenset[str] = _codes(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY",
    "NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC",
    "AS GU MP PR VI FM MH PW AA AE AP",
)

#: Canada's provinces and territories (UPS and FedEx both require a valid one for CA addresses).
CA_PROVINCES: frozenset[str] = _codes("AB BC MB NB NL NS NT NU ON PE QC SK YT")

#: Countries (ISO codes) whose mail is addressed with US ZIP codes: the US, its territories and the
#: freely associated states served by USPS.
ZIP_COUNTRIES: frozenset[str] = _codes("US PR VI GU AS MP FM MH PW")

#: The 27 member states of the European Union: one customs territory (no customs between them), and
#: the destinations whose import rules the customs checks apply (``shipments/_customs.py``).
EU_COUNTRIES: frozenset[str] = _codes(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK",
)
