DROP TABLE whitelist_entries;
DROP TABLE enterprise_chains;
