"""Catalogue importers: read outside files into domain objects, validating every row."""
