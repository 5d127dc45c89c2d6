DROP TABLE reconciliation_breaks;
