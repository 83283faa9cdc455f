"""`/outage`: is a country or an AS dark right now, by several independent signals."""
