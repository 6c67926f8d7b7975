"""Kerja Lokal vacancies: partner companies, vacancies, matching, applications, hires"""
