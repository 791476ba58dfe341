-- Discovery rules made through the API, laid over the YAML file's as
-- hosts and profiles are: one row per rule, keyed by the lower-case name,
-- the rule as JSON in the form the embedded catalog file uses.
CREATE TABLE catalog_rules (
	name_key text  PRIMARY KEY,
	entry    jsonb NOT NULL
);

CREATE TRIGGER catalog_rules_notify AFTER INSERT OR UPDATE OR DELETE ON catalog_rules
	FOR EACH STATEMENT EXECUTE FUNCTION pxed_catalog_notify();
