"""Intake layer: reading submissions, validation with Chinese findings, ingest into the processed
store, templates and the data-quality report. Imports only the base layer.
"""
