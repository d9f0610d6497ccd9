"""guozi-analysis：区/市国资委企业监测分析库。"""

__version__ = "0.1.0"
