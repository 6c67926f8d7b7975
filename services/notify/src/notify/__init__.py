"""Kerja Lokal notify: job board, feeds, agency webhooks, resident messages"""
