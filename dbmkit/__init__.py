"""dbmkit — the helper package of the database-marketing workbook (数据库营销).

Notebooks call ``dbm.workspace(config)`` and then the functions of the concept modules
(``dbm.rfm``, ``dbm.value``, ``dbm.clv``, ``dbm.campaign``, ``dbm.evaluate`` …).
"""
__version__ = "0.1.0"
