"""What kind of thing a noun names, so "which <noun>" questions get the right answer type.

What it does: `noun_kind(noun)` says whether an English noun denotes a person (a role: "coach",
"senator", "economist", "chief executive"), an organisation or named thing ("team", "club",
"company", "party", "event", "website") or a place ("suburb", "island", "lake"), from general
vocabulary of news roles and bodies plus English agent-noun suffixes ("-ist", "-ian", "-man",
"-person"). The vocabulary is ordinary English of news domains (politics, business, sport,
courts, science), not the wording of any labelled question. It does not look at sentences.
"""

from __future__ import annotations

import re

from .entities import country_code

PERSON_NOUNS = frozenset(
    """
person people man woman men women boy girl child son daughter wife husband mother father brother sister
president minister premier chancellor secretary leader official king queen prince princess ruler duke emperor
general commander officer soldier spokesman spokeswoman spokesperson ambassador envoy diplomat governor mayor
senator congressman congresswoman legislator lawmaker mp politician candidate nominee delegate deputy
chairman chairwoman chair chief executive ceo cfo director manager founder owner boss head chief partner
economist analyst strategist banker investor trader shareholder adviser advisor consultant
coach captain player striker batsman bowler keeper goalkeeper jockey trainer driver rider runner swimmer
umpire referee skipper champion winner loser athlete cricketer footballer golfer boxer cyclist
judge magistrate lawyer barrister solicitor attorney prosecutor defendant accused plaintiff witness juror
victim suspect prisoner detainee hostage gunman attacker bomber killer terrorist militant rebel
doctor surgeon nurse scientist researcher professor teacher principal student expert engineer pilot
author writer journalist reporter correspondent editor photographer presenter host actor actress singer
artist musician director producer priest bishop archbishop pope cleric imam rabbi
farmer worker employee resident citizen refugee migrant passenger crew survivor volunteer activist
campaigner protester organiser organizer member supporter critic opponent rival successor predecessor
commissioner inspector detective constable sergeant superintendent ranger firefighter
treasurer speaker auditor coroner sheriff chaplain pastor cardinal sheikh emir sultan monarch dictator
warlord fighter troops
""".split()
)

ORG_NOUNS = frozenset(
    """
organisation organization company firm business corporation group bank airline carrier retailer insurer
agency authority department ministry government administration council parliament senate assembly
committee commission court tribunal board body institution institute university school college hospital
party union alliance coalition bloc faction movement network channel newspaper paper magazine outlet
broadcaster station website site publication service army navy force militia police
team club side squad franchise league association federation
event race match game tournament competition championship cup trophy title award prize festival
summit conference treaty agreement deal plan programme program scheme project operation campaign
law act bill policy report study survey book film show album song brand product drug vaccine
ship vessel aircraft plane missile weapon system satellite
""".split()
)

PLACE_NOUNS = frozenset(
    """
country countries nation nations state states province region territory city cities town village suburb
capital place area district county continent island islands lake river sea ocean mountain valley coast
port airport border location venue stadium ground park street road building prison camp base
""".split()
)

# Nouns for an amount: "What was the death toll?", "What is life expectancy ...?" ask for a number.
QUANTITY_NOUNS = frozenset(
    """
number amount total sum tally toll population price cost value worth salary wage fee budget revenue
income profit loss debt deficit surplus rate ratio percentage proportion age length height depth width
distance speed weight size area volume temperature expectancy score margin majority turnout capacity duration
""".split()
)

# Continents and world regions: named places that no country table holds ("North America", "the Middle East").
_REGIONS = frozenset(
    """africa antarctica asia europe oceania america americas caribbean pacific atlantic arctic mediterranean
    balkans scandinavia middle_east far_east""".split()
)
_COMPASS = r"(?:north|south|east|west|central|northern|southern|eastern|western|latin)"
_REGION = re.compile(rf"(?:{_COMPASS}[\s-]+)?(?:the\s+)?(\w+(?:\s+east)?)", re.I)

_AGENT = re.compile(r"\w{3,}(?:ist|ian|man|woman|men|women|person|eer)s?$")


def _singular(noun: str) -> str:
    if noun.endswith("ies") and len(noun) > 4:
        return noun[:-3] + "y"
    if noun.endswith(("ches", "shes", "sses")):
        return noun[:-2]
    if noun.endswith("s") and not noun.endswith("ss") and len(noun) > 3:
        return noun[:-1]
    return noun


def name_kind(name: str) -> str | None:
    """What kind of thing a capitalised name is, from its head, the last word ("Fatah Revolutionary Council":
    entity, "Dongting Lake": place, "State Department": entity, "Coast Guard": unknown) or
    a continent or world region ("North America"); None when the name itself does not say (most names of
    people, towns and firms)."""
    head = re.split(r"\s+of\s+", name, maxsplit=1)[0]  # "Bank of England", "Commissioner of Police"
    last = (re.findall(r"[A-Za-z]+", head) or [""])[-1]  # a name's head is its last word ("Coast Guard")
    # a plural says little ("United Nations", "United States", "Brisbane Lions")
    kind = noun_kind(last.lower()) if last[:1].isupper() and _singular(last.lower()) == last.lower() else None
    if kind in ("person", "entity", "place"):
        return kind
    m = _REGION.fullmatch(name.strip())
    return "place" if m and m.group(1).lower().replace(" ", "_") in _REGIONS else None


def noun_kind(noun: str) -> str | None:
    """ "person", "entity", "place" or None for a lower-case English noun."""
    noun = noun.lower()
    for form in (noun, _singular(noun)):
        if form in PLACE_NOUNS:
            return "place"
        if form in PERSON_NOUNS:
            return "person"
        if form in ORG_NOUNS:
            return "entity"
        if form in QUANTITY_NOUNS:
            return "quantity"
    if _AGENT.fullmatch(noun) and country_code(noun.capitalize()) is None:  # "nigerian" is no role
        return "person"
    return None
