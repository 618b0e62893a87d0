"""Catalog reading: every query is a named constant in ``queries``; typed helpers in ``catalog``."""
