"""schema.org JobPosting for a vacancy page (JSON-LD), as search engines read it."""

from typing import Any

from .listing import Listing

EMPLOYMENT_TYPES = {"pkwt": ["FULL_TIME", "TEMPORARY"], "pkwtt": "FULL_TIME", "magang": "INTERN"}
UNITS = {"bulan": "MONTH", "minggu": "WEEK", "hari": "DAY", "jam": "HOUR"}
REQUIRED = ("title", "description", "datePosted", "hiringOrganization", "jobLocation")


def job_posting(listing: Listing, *, url: str) -> dict[str, Any]:
    vacancy = listing.vacancy
    posting: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": vacancy.title,
        "description": _description(listing),
        "identifier": {"@type": "PropertyValue", "name": "Kerja Lokal", "value": str(listing.id)},
        "datePosted": vacancy.published_at.date().isoformat(),
        "validThrough": f"{vacancy.valid_until.isoformat()}T23:59:59+07:00",
        "employmentType": EMPLOYMENT_TYPES[vacancy.contract_type],
        "hiringOrganization": {"@type": "Organization", "name": vacancy.company_name},
        "jobLocation": {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "streetAddress": vacancy.work_address,
                "addressLocality": f"Kecamatan {listing.kecamatan}",
                "addressRegion": "Jawa Barat",
                "addressCountry": "ID",
            },
        },
        "occupationalCategory": vacancy.kbji_code,
        "educationRequirements": listing.education,
        "totalJobOpenings": vacancy.openings,
        "directApply": False,
        "url": url,
    }
    if vacancy.wage.minimum or vacancy.wage.maximum:
        posting["baseSalary"] = _salary(listing)
    if vacancy.experience_years:
        posting["experienceRequirements"] = {
            "@type": "OccupationalExperienceRequirements",
            "monthsOfExperience": vacancy.experience_years * 12,
        }
    if vacancy.skills:
        posting["skills"] = ", ".join(vacancy.skills)
    return posting


def _description(listing: Listing) -> str:
    vacancy = listing.vacancy
    return (
        f"<p>{_escape(vacancy.description)}</p>"
        f"<p>Cara melamar: {_escape(vacancy.how_to_apply)}</p>"
        "<p>Gratis, tanpa biaya. Lowongan resmi Disnaker Kabupaten Bekasi.</p>"
    )


def _salary(listing: Listing) -> dict[str, Any]:
    wage = listing.vacancy.wage
    value: dict[str, Any] = {"@type": "QuantitativeValue", "unitText": UNITS[wage.period]}
    if wage.minimum:
        value["minValue"] = wage.minimum
    if wage.maximum:
        value["maxValue"] = wage.maximum
    return {"@type": "MonetaryAmount", "currency": wage.currency, "value": value}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def missing_fields(posting: dict[str, Any]) -> list[str]:
    """The fields search engines require that this posting lacks (empty when valid)."""
    missing = [name for name in REQUIRED if not posting.get(name)]
    if not posting.get("hiringOrganization", {}).get("name"):
        missing.append("hiringOrganization.name")
    if not posting.get("jobLocation", {}).get("address", {}).get("addressCountry"):
        missing.append("jobLocation.address.addressCountry")
    return missing
