"""Publishing layer: narrative, notebook views, workbooks, the book's sources and the renderers.
"""
