"""Exercises of chapter 00."""
from . import exercise


@exercise("00.1", "Customers in the database", hint="Count the rows of the customers table: "
          "ws.sql('SELECT count(*) AS n FROM customers')",
          solution="answer = ws.sql('SELECT count(*) AS n FROM customers')['n'].iloc[0]")
def _customers(ws):
    return int(ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0])
