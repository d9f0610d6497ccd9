"""Analyses layer: risk rules, rankings, forecasts, the annual assessment and the distress model.
Pure computation on the accepted tables and indicators; no file writing and no notebook display.
"""
