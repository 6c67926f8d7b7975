"""Ranking seekers for vacancies: the in-memory index and the values it reads."""

from .index import SeekerIndex
from .model import Candidate, Criteria, Match, Seeker

__all__ = ["Candidate", "Criteria", "Match", "Seeker", "SeekerIndex"]
