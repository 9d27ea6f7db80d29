"""Recommendations for one authority, derived from the evaluation's findings and its scoping profile.

Each rule below is one finding of the source documents (cited by file and section, as in
``seeds/README.md``) applied to the figures of an :class:`~scoping.analysis.profiles.AuthorityProfile`.
A recommendation always carries its source and the evidence from the profile that triggered it,
so a commissioner can check both. Rules:

* **Location by aim** (seed 001 message 11; seed 003 §5.3): a statutory-threshold aim points to a
  co-located statutory host (police, social care, multi-agency team); a preventative aim to a
  community or voluntary-sector setting; ``both`` to one of each.
* **'Soft' access point** (seed 001 messages 5 and 11): where the spoke would sit in a statutory
  or multi-agency team, young people need a drop-in or community access point that shows the
  service's independence; flagged when the authority has none.
* **Rural travel burden** (seed 001 messages 7 and 9): rural or mixed authorities, demand beyond
  the casework limit of every candidate host, or long median travel to a host.
* **Supervision of lone workers** (seed 001 message 9; seed 003 §5.3; seed 002 on isolation):
  outreach-only candidates (no base) or hosts far from the nearest hub.
* **Scale** (seed 001 message 1, footnote 3: 10–12 cases at a time per spoke): the spokes the
  demand estimate needs, with its range.
* **Service gaps** (seed 001 message 7: the scoping exercise covers gaps in services).
"""

from __future__ import annotations

from dataclasses import dataclass

from scoping.analysis.profiles import SERVICE_TYPE_LABELS, AuthorityProfile

SEED_LOCATION = "seed 001_7cce064ef0042f6a.txt message 11; seed 003_22b281be7c26173d.txt §5.3"
SEED_SOFT_ACCESS = "seed 001_7cce064ef0042f6a.txt messages 5 and 11"
SEED_GEOGRAPHY = "seed 001_7cce064ef0042f6a.txt messages 7 and 9"
SEED_SUPERVISION = (
    "seed 001_7cce064ef0042f6a.txt message 9; seed 003_22b281be7c26173d.txt §5.3; "
    "seed 002_5180588a07e426b8.txt (supervision and isolation of spokes)"
)
SEED_SCALE = "seed 001_7cce064ef0042f6a.txt message 1 and footnote 3 (10–12 cases at a time per spoke)"
SEED_GAPS = "seed 001_7cce064ef0042f6a.txt message 7 (current service landscape and gaps)"
STATUTORY = ("police", "social_care", "multi_agency")
COMMUNITY = ("community", "voluntary")
LONG_TRAVEL_SHARE = 0.5  # median area -> host travel above this share of the casework limit is "long"
FAR_FROM_HUB_SHARE = 0.75  # host -> hub travel above this share of the supervision limit is "far"


@dataclass(frozen=True)
class Recommendation:
    topic: str
    text: str
    evidence: str
    source: str


def _names(hosts, types) -> list[str]:
    return [h.name for h in hosts if h.host_type in types]


def location_by_aim(profile: AuthorityProfile) -> Recommendation:
    hosts = profile.services.candidate_hosts
    statutory, community = _names(hosts, STATUTORY), _names(hosts, COMMUNITY)
    if profile.aim == "statutory":
        text = (
            "The aim is to support young people meeting the threshold for statutory intervention: base the "
            "spoke in a co-located statutory setting (police, children's social care or a multi-agency team), "
            "which generates referrals of known and high-risk cases and supports the worker."
        )
        found = statutory
    elif profile.aim == "preventative":
        text = (
            "The aim is prevention and early intervention: base the spoke in a community resource or "
            "voluntary-sector centre, which reaches young people below the statutory threshold and skills up "
            "local practitioners; co-location with statutory teams would narrow referrals to high-risk cases."
        )
        found = community
    else:
        text = (
            "The aims cover both statutory and preventative work: pair a co-located statutory base (for "
            "referral pathways and information sharing) with a community setting (for early intervention), "
            "and keep the worker's voluntary-sector identity through regular contact with the hub."
        )
        found = statutory + community
    evidence = (
        f"{len(found)} matching candidate host(s): {', '.join(found)}"
        if found
        else "no matching candidate host in this authority: find one before placing a spoke"
    )
    return Recommendation("Spoke location by aim", text, evidence, SEED_LOCATION)


def soft_access_point(profile: AuthorityProfile) -> Recommendation | None:
    if profile.aim == "preventative":
        return None
    points = profile.services.soft_access_points
    if points:
        return Recommendation(
            "'Soft' access point",
            "Link the spoke to the existing drop-in or community access point so young people "
            "can reach the service outside statutory buildings.",
            f"{points} drop-in service(s) or drop-in candidate host(s) in the authority",
            SEED_SOFT_ACCESS,
        )
    return Recommendation(
        "'Soft' access point",
        "A spoke in a statutory or multi-agency team needs a 'soft' access point — a drop-in or "
        "community building — so young people can identify with the service, see its "
        "independence from statutory agencies and meet other service users.",
        "no drop-in service or drop-in candidate host in the authority",
        SEED_SOFT_ACCESS,
    )


def rural_travel_burden(profile: AuthorityProfile, casework_minutes: int, caseload_max: int) -> Recommendation | None:
    """Rural or long travel: the plan holds every spoke, rural or not, to the scenario's caseload
    (caseload_min..caseload_max, one rule for all hosts), so the text says what that means for the
    hours, not that a rural spoke carries fewer cases (issue #17)."""
    geo = profile.geography
    reasons = []
    if geo.settlement_class in ("rural", "mixed"):
        reasons.append(f"{geo.settlement_class} authority ({geo.settlement_basis})")
    if geo.share_in_reach is not None and geo.share_in_reach < 1:
        reasons.append(
            f"{(1 - geo.share_in_reach) * 100:.0f}% of demand is beyond {casework_minutes} minutes "
            "of every candidate host"
        )
    if (
        geo.median_minutes_area_to_host is not None
        and geo.median_minutes_area_to_host > LONG_TRAVEL_SHARE * casework_minutes
    ):
        reasons.append(f"median travel to the nearest candidate host is {geo.median_minutes_area_to_host:.0f} minutes")
    if not reasons:
        return None
    cost = ""
    if geo.travel_hours_per_case_year is not None and geo.mileage_cost_per_case_year is not None:
        cost = (
            f"; about {geo.travel_hours_per_case_year:.0f} hours and £{geo.mileage_cost_per_case_year:,.0f} "
            "of mileage per case-year"
        )
    return Recommendation(
        "Rural travel burden",
        f"The plan holds a rural spoke to the same caseload as any other (up to {caseload_max} cases "
        "at any one time), so its travel comes out of the same working hours: budget travel time "
        "and mileage for it, consider a second base or outreach sessions in outlying towns, and "
        "replace the travel estimate with measured times for the longest trips. For rural spokes "
        "with fewer cases, plan a scenario (or a sweep variant) with a lower caseload.",
        "; ".join(reasons) + cost,
        SEED_GEOGRAPHY,
    )


def supervision_risk(profile: AuthorityProfile, supervision_minutes: int) -> Recommendation | None:
    hosts = profile.services.candidate_hosts
    outreach = _names(hosts, ("outreach",))
    far = [
        h.name
        for h in hosts
        if h.minutes_to_nearest_hub is not None and h.minutes_to_nearest_hub > FAR_FROM_HUB_SHARE * supervision_minutes
    ]
    reasons = []
    if outreach and len(outreach) == len(hosts):
        reasons.append("every candidate is an outreach model with no base")
    elif outreach:
        reasons.append(f"outreach candidate(s) with no base: {', '.join(outreach)}")
    if far:
        reasons.append(
            f"{len(far)} candidate host(s) more than {FAR_FROM_HUB_SHARE * supervision_minutes:.0f} "
            f"minutes from the nearest hub: {', '.join(far)}"
        )
    if not reasons:
        return None
    return Recommendation(
        "Supervision of lone workers",
        "Outreach models with no physical base reduce visibility to partners and make supervision "
        "and support harder, and spokes can become isolated: prefer a co-located base, and agree "
        "regular supervision, peer contact with the hub and a named manager before placing a spoke.",
        "; ".join(reasons),
        SEED_SUPERVISION,
    )


def scale(profile: AuthorityProfile, caseload_max: int) -> Recommendation | None:
    estimate = profile.demography.estimate
    if estimate.central is None:
        return None
    return Recommendation(
        "Scale of the service",
        f"Plan for about {estimate.spokes_central} spoke(s) at {caseload_max} cases each "
        f"(range {estimate.spokes_low}–{estimate.spokes_high} across the demand estimate's "
        "sensitivity), phased as the hub's management capacity allows.",
        f"demand model rate {estimate.rate:.2f} per 10,000 aged 10–17 ({estimate.base_rate_source}; "
        f"{estimate.adjustment_reason})",
        SEED_SCALE,
    )


def service_gaps(profile: AuthorityProfile) -> Recommendation | None:
    gaps = profile.services.gaps
    if not gaps:
        return None
    words = ", ".join(SERVICE_TYPE_LABELS[g] for g in gaps)
    text = "Confirm these gaps with local partners; a spoke can fill the specialist role and link to the rest."
    if "specialist_cse" in gaps:
        text = (
            "There is no specialist CSE service: a spoke brings specialist casework and training where "
            "none existed. " + text
        )
    return Recommendation(
        "Gaps in the service landscape", text, f"not found in services.csv or hubs.csv: {words}", SEED_GAPS
    )


def recommendations(
    profile: AuthorityProfile, casework_minutes: int, supervision_minutes: int, caseload_max: int
) -> list[Recommendation]:
    """Every rule that applies to this authority, in a fixed order."""
    found = [
        location_by_aim(profile),
        soft_access_point(profile),
        rural_travel_burden(profile, casework_minutes, caseload_max),
        supervision_risk(profile, supervision_minutes),
        scale(profile, caseload_max),
        service_gaps(profile),
    ]
    return [r for r in found if r is not None]
