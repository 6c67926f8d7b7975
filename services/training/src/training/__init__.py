"""Kerja Lokal training: institutions, programmes, sessions, enrollments, completions,
apprenticeships."""
