-- The catalog (hosts and profiles made through the API, install-once
-- state, discovered machines): one row per entry, keyed by the lower-case
-- name (names compare ignoring case, RFC 4343) or the MAC, the entry itself
-- as JSON in the form the embedded catalog file uses.
CREATE TABLE catalog_hosts (
	name_key text  PRIMARY KEY,
	entry    jsonb NOT NULL
);
CREATE TABLE catalog_profiles (
	name_key text  PRIMARY KEY,
	entry    jsonb NOT NULL
);
CREATE TABLE catalog_installed (
	host_key text        PRIMARY KEY,
	at       timestamptz NOT NULL
);
CREATE TABLE catalog_machines (
	mac   text  PRIMARY KEY,
	entry jsonb NOT NULL
);

-- Any change to the catalog is announced on channel pxed_catalog (once per
-- statement); the other instances then reload it.
CREATE FUNCTION pxed_catalog_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('pxed_catalog', TG_TABLE_NAME);
	RETURN NULL;
END
$$;

CREATE TRIGGER catalog_hosts_notify AFTER INSERT OR UPDATE OR DELETE ON catalog_hosts
	FOR EACH STATEMENT EXECUTE FUNCTION pxed_catalog_notify();
CREATE TRIGGER catalog_profiles_notify AFTER INSERT OR UPDATE OR DELETE ON catalog_profiles
	FOR EACH STATEMENT EXECUTE FUNCTION pxed_catalog_notify();
CREATE TRIGGER catalog_installed_notify AFTER INSERT OR UPDATE OR DELETE ON catalog_installed
	FOR EACH STATEMENT EXECUTE FUNCTION pxed_catalog_notify();
CREATE TRIGGER catalog_machines_notify AFTER INSERT OR UPDATE OR DELETE ON catalog_machines
	FOR EACH STATEMENT EXECUTE FUNCTION pxed_catalog_notify();
