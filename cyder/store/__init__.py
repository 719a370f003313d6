"""Emptied by issue 13: the evidence store is cyder/evidence/store.py and the SQLite base is
cyder/sqlite.py. The modules left here are shims re-exporting them under their old paths; the
package is removed at the end of issue 13."""
