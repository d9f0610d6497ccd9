"""Running layer: the shared step of a period, the notebook runner and the command line.
"""
