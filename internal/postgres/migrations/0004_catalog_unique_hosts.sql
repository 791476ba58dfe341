-- Each instance checks a host made through its API against the catalog it
-- has loaded; two instances accepting hosts at the same moment could each
-- pass that check. The database keeps two host entries from sharing a MAC
-- or a reserved address all the same.
CREATE UNIQUE INDEX catalog_hosts_mac ON catalog_hosts (lower(entry->>'mac'))
	WHERE coalesce(entry->>'mac', '') <> '';
CREATE UNIQUE INDEX catalog_hosts_ip ON catalog_hosts ((entry->>'ip'))
	WHERE coalesce(entry->>'ip', '') <> '';
