"""The in-memory seeker index: one numpy array per attribute, one row per seeker, and the skills
and certified skills as bit sets (one bit per word of the skill vocabulary), so that ranking every
seeker for a vacancy is a handful of vectorised passes instead of a loop.

PostgreSQL holds the truth (table `seeker`); the index is loaded from it at start, updated by the
consumers after each commit and refreshed from the change sequence, so a replica that did not
consume an event still learns it within seconds.

Ranking: eligibility filters (status, age band, sex where the vacancy states it, education
minimum and maximum, track and majors), then the hard key "trained and certified first", then a
score in [0, 1]: certified skills weigh most, then skill overlap, education fit, the same desa or
kecamatan as the workplace, and a KTP-Bekasi address.
"""

from collections.abc import Iterable
from uuid import UUID

import numpy as np
import numpy.typing as npt

from .model import WEIGHTS, Candidate, Criteria, Match, Seeker, band_of, norm

_SEX = {"L": 1, "P": 2}
_TRACK = {"umum": 1, "kejuruan": 2}
_BANDS = {level: band_of(level, None) for level in range(1, 11)} | {0: None}
Bits = npt.NDArray[np.uint64]


class _Vocabulary:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.words: list[str] = []

    def id(self, word: str) -> int:
        found = self.ids.get(word)
        if found is None:
            found = self.ids[word] = len(self.words)
            self.words.append(word)
        return found

    def known(self, words: Iterable[str]) -> list[int]:
        return [self.ids[w] for w in words if w in self.ids]


class SeekerIndex:
    def __init__(self, capacity: int = 1024, skill_words: int = 1) -> None:
        self._rows: dict[UUID, int] = {}
        self._ids: list[UUID] = []
        self._skills = _Vocabulary()
        self._majors = _Vocabulary()
        self._places = _Vocabulary()
        self._allocate(capacity, skill_words)
        self.last_change = 0
        self.last_erasure = 0

    def _allocate(self, capacity: int, words: int) -> None:
        self.eligible = np.zeros(capacity, dtype=bool)
        self.local = np.zeros(capacity, dtype=bool)
        self.any_certified = np.zeros(capacity, dtype=bool)
        self.sex = np.zeros(capacity, dtype=np.int8)
        self.track = np.zeros(capacity, dtype=np.int8)
        self.education = np.zeros(capacity, dtype=np.int8)
        self.birth_year = np.zeros(capacity, dtype=np.int16)
        self.major = np.full(capacity, -1, dtype=np.int32)
        self.desa = np.full(capacity, -1, dtype=np.int32)
        self.kecamatan = np.full(capacity, -1, dtype=np.int32)
        self.skill_bits: Bits = np.zeros((capacity, words), dtype=np.uint64)
        self.certified_bits: Bits = np.zeros((capacity, words), dtype=np.uint64)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, resident_id: object) -> bool:
        return resident_id in self._rows

    def _grow(self, rows: int, words: int) -> None:
        old = {name: getattr(self, name) for name in _COLUMNS}
        size = len(self._ids)
        self._allocate(rows, words)
        for name, values in old.items():
            target = getattr(self, name)
            if values.ndim == 2:
                target[:size, : values.shape[1]] = values[:size]
            else:
                target[:size] = values[:size]

    def _row_for(self, resident_id: UUID) -> int:
        row = self._rows.get(resident_id)
        if row is None:
            row = len(self._ids)
            if row >= self.eligible.shape[0]:
                self._grow(2 * self.eligible.shape[0], self.skill_bits.shape[1])
            self._rows[resident_id] = row
            self._ids.append(resident_id)
        return row

    def _bits(self, words: Iterable[str]) -> list[int]:
        ids = [self._skills.id(word) for word in words]
        needed = max(ids, default=0) // 64 + 1
        if needed > self.skill_bits.shape[1]:
            self._grow(self.eligible.shape[0], max(needed, 2 * self.skill_bits.shape[1]))
        return ids

    def upsert(self, seeker: Seeker) -> None:
        row = self._row_for(seeker.resident_id)
        self.eligible[row] = seeker.eligible
        self.local[row] = seeker.is_local
        self.any_certified[row] = bool(seeker.certified)
        self.sex[row] = _SEX.get(seeker.sex or "", 0)
        self.track[row] = _TRACK.get(seeker.education_track or "", 0)
        self.education[row] = seeker.education_level or 0
        self.birth_year[row] = seeker.birth_year or 0
        major = seeker.education_major
        self.major[row] = self._majors.id(norm(major)) if major else -1
        self.desa[row] = self._places.id(seeker.desa_kode) if seeker.desa_kode else -1
        self.kecamatan[row] = (
            self._places.id(seeker.kecamatan_kode) if seeker.kecamatan_kode else -1
        )
        skill_ids, certified_ids = self._bits(seeker.skills), self._bits(seeker.certified)
        _set_bits(self.skill_bits, row, skill_ids)
        _set_bits(self.certified_bits, row, certified_ids)

    def remove(self, resident_id: UUID) -> bool:
        """Forget a seeker (erased at their request): the last row takes its place."""
        row = self._rows.pop(resident_id, None)
        if row is None:
            return False
        last = len(self._ids) - 1
        if row != last:
            moved = self._ids[last]
            for name in _COLUMNS:
                values = getattr(self, name)
                values[row] = values[last]
            self._ids[row] = moved
            self._rows[moved] = row
        self._ids.pop()
        for name in _COLUMNS:
            getattr(self, name)[last] = -1 if name in ("major", "desa", "kecamatan") else 0
        return True

    def _has(self, bits: Bits, rows: npt.NDArray[np.intp], word_id: int) -> npt.NDArray[np.bool_]:
        column = bits[rows, word_id >> 6]
        return ((column >> np.uint64(word_id & 63)) & np.uint64(1)).astype(bool)

    def eligible_rows(self, c: Criteria) -> npt.NDArray[np.intp]:
        n = len(self._ids)
        mask = self.eligible[:n].copy()
        if c.sex:
            mask &= self.sex[:n] == _SEX[c.sex]
        if c.age_min is not None or c.age_max is not None:
            age = c.ref_year - self.birth_year[:n].astype(np.int32)
            if c.age_min is not None:
                mask &= age >= c.age_min
            if c.age_max is not None:
                mask &= age <= c.age_max
        education = self.education[:n]
        mask &= education >= c.education_min
        if c.education_max is not None:
            mask &= education <= c.education_max
        if c.education_track:
            mask &= (education > c.education_min) | (self.track[:n] == _TRACK[c.education_track])
        if c.majors:
            mask &= np.isin(self.major[:n], self._majors.known(c.majors))
        return np.flatnonzero(mask)

    def match(self, c: Criteria, *, cap: int) -> Match:
        rows = self.eligible_rows(c)
        skills = self._skills.known(c.skills)
        wanted = max(len(c.skills), 1)
        overlap = np.zeros(rows.size, dtype=np.float32)
        certified_overlap = np.zeros(rows.size, dtype=np.float32)
        has_skill, has_certificate = {}, {}
        for word_id in skills:
            has_skill[word_id] = self._has(self.skill_bits, rows, word_id)
            has_certificate[word_id] = self._has(self.certified_bits, rows, word_id)
            overlap += has_skill[word_id] | has_certificate[word_id]
            certified_overlap += has_certificate[word_id]
        certified = certified_overlap > 0 if c.skills else self.any_certified[rows]
        fit = self._education_fit(c, rows)
        place = self._place(c, rows)
        score = (
            WEIGHTS["certified"] * certified_overlap / wanted
            + WEIGHTS["skills"] * overlap / wanted
            + WEIGHTS["education"] * fit
            + WEIGHTS["place"] * place
            + WEIGHTS["local"] * self.local[rows]
        ).astype(np.float32)
        order = _top(certified * 2.0 + score, cap)
        chosen = rows[order]
        reasons = self._reasons(c, chosen, order, has_skill, has_certificate, fit, place)
        candidates = [
            Candidate(self._ids[row], round(float(score[i]), 4), bool(certified[i]), why)
            for row, i, why in zip(chosen.tolist(), order.tolist(), reasons, strict=True)
        ]
        return Match(vacancy_id=c.vacancy_id, eligible=int(rows.size), candidates=candidates)

    def _education_fit(self, c: Criteria, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
        education = self.education[rows]
        fit = np.where(education == c.education_min, 0.5, 0.25).astype(np.float32)
        if c.education_track:
            fit[self.track[rows] == _TRACK[c.education_track]] = 1.0
        if c.majors:
            fit[np.isin(self.major[rows], self._majors.known(c.majors))] = 1.0
        return fit

    def _place(self, c: Criteria, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
        place = np.zeros(rows.size, dtype=np.float32)
        kecamatan = self._places.ids.get(c.work_kecamatan_kode or "", -2)
        desa = self._places.ids.get(c.work_desa_kode or "", -2)
        place[self.kecamatan[rows] == kecamatan] = 0.7
        place[self.desa[rows] == desa] = 1.0
        return place

    def _reasons(
        self,
        c: Criteria,
        chosen: npt.NDArray[np.intp],
        order: npt.NDArray[np.intp],
        has_skill: dict[int, npt.NDArray[np.bool_]],
        has_certificate: dict[int, npt.NDArray[np.bool_]],
        fit: npt.NDArray[np.float32],
        place: npt.NDArray[np.float32],
    ) -> list[tuple[str, ...]]:
        columns: list[list[str | None]] = []
        for word_id in has_skill:
            word = self._skills.words[word_id]
            certified = has_certificate[word_id][order]
            plain = has_skill[word_id][order]
            columns.append(
                [
                    f"sertifikat:{word}" if cert else (f"keahlian:{word}" if skill else None)
                    for cert, skill in zip(certified.tolist(), plain.tolist(), strict=True)
                ]
            )
        levels = self.education[chosen].tolist()
        tracks = self.track[chosen].tolist()
        columns.append(
            [
                ("pendidikan:smk" if track == 2 else "pendidikan:sma")
                if level == 5
                else (f"pendidikan:{_BANDS[level]}" if _BANDS.get(level) else None)
                for level, track in zip(levels, tracks, strict=True)
            ]
        )
        if c.majors:
            columns.append(["jurusan_sesuai" if f == 1.0 else None for f in fit[order].tolist()])
        columns.append(
            [
                "desa_sama" if p == 1.0 else ("kecamatan_sama" if p > 0 else None)
                for p in place[order].tolist()
            ]
        )
        columns.append(["lokal" if local else None for local in self.local[chosen].tolist()])
        return [tuple(r for r in row if r) for row in zip(*columns, strict=True)]

    def load(self, seekers: Iterable[Seeker], *, last_change: int = 0) -> int:
        count = 0
        for seeker in seekers:
            self.upsert(seeker)
            count += 1
        self.last_change = max(self.last_change, last_change)
        return count


_COLUMNS = (
    "eligible", "local", "any_certified", "sex", "track", "education", "birth_year", "major",
    "desa", "kecamatan", "skill_bits", "certified_bits",
)  # fmt: skip


def _set_bits(bits: Bits, row: int, word_ids: list[int]) -> None:
    bits[row] = 0
    for word_id in word_ids:
        bits[row, word_id >> 6] |= np.uint64(1) << np.uint64(word_id & 63)


def _top(key: npt.NDArray[np.floating], cap: int) -> npt.NDArray[np.intp]:
    """Positions of the `cap` largest keys, largest first; among the chosen, ties keep index
    order (which of several equal keys at the cut is chosen is numpy's)."""
    if key.size > cap:
        part = np.argpartition(-key, cap - 1)[:cap]
        part.sort()
    else:
        part = np.arange(key.size)
    return part[np.argsort(-key[part], kind="stable")]
