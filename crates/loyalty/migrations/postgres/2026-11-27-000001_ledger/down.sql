DROP TABLE ledger_entries;
DROP TABLE loyalty_accounts;
