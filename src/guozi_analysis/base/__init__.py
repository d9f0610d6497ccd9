"""Base layer: paths, parameters, periods, the data contract, the processed store, fonts and the
enterprise tree. Imports nothing else from the package.
"""
