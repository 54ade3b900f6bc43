"""Suppression at send time reads every table the evaluation wrote back, whatever its timestamp precision."""
from __future__ import annotations

import duckdb
import pandas as pd

from dbmkit.database import suppression_list


def test_send_time_suppression_reads_feedback_written_from_pandas():
    # campaign_feedback is written back from pandas (TIMESTAMP_NS); "no time limit" must stay comparable with it
    con = duckdb.connect()
    con.execute("CREATE TABLE customers AS SELECT * FROM (VALUES ('P1', 'a@b.com'), ('P2', 'c@d.com')) "
                "t(customer_id, email)")
    for col in ("phone", "street"):
        con.execute(f"ALTER TABLE customers ADD COLUMN {col} VARCHAR")
    for col in ("is_test", "is_staff", "deceased", "gone_away"):
        con.execute(f"ALTER TABLE customers ADD COLUMN {col} BOOLEAN DEFAULT false")
    con.execute("CREATE TABLE consents AS SELECT * FROM (VALUES ('P1', 'email', 'opt_in', TIMESTAMP '2024-01-01'), "
                "('P2', 'email', 'opt_in', TIMESTAMP '2024-01-01')) t(customer_id, channel, status, updated_at)")
    fb = pd.DataFrame({"customer_id": ["P2"], "channel": ["email"], "kind": ["unsubscribe"],
                       "event_ts": pd.to_datetime(["2024-06-01 10:00:00.123456789"])})
    con.register("_fb", fb)
    con.execute("CREATE TABLE campaign_feedback AS SELECT * FROM _fb")
    assert "TIMESTAMP_NS" in str(con.execute("DESCRIBE campaign_feedback").df().set_index("column_name")
                                 .loc["event_ts", "column_type"])
    sup = suppression_list(con, "email")                 # send time: all evidence, no date limit
    assert "P2" in set(sup["customer_id"]) and "P1" not in set(sup["customer_id"])
