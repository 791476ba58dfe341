-- Leases: one row per address. The primary key on ip is what makes two pxed
-- instances unable to record one address twice; Store.Commit's conditional
-- upsert decides who may overwrite a row.
CREATE TABLE leases (
	ip        inet        PRIMARY KEY,
	mac       bytea       NOT NULL,
	client_id bytea       NOT NULL DEFAULT '',
	hostname  text        NOT NULL DEFAULT '',
	state     smallint    NOT NULL,
	expires   timestamptz NOT NULL,
	updated   timestamptz NOT NULL DEFAULT now()
);

-- Every change is announced on channel pxed_leases with the whole row, so
-- the other instances' allocators learn of it without a read.
CREATE FUNCTION pxed_lease_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('pxed_leases', json_build_object(
		'ip', host(NEW.ip),
		'mac', encode(NEW.mac, 'hex'),
		'client_id', encode(NEW.client_id, 'hex'),
		'hostname', NEW.hostname,
		'state', NEW.state,
		'expires_us', (extract(epoch FROM NEW.expires) * 1000000)::bigint
	)::text);
	RETURN NULL;
END
$$;

CREATE TRIGGER leases_notify AFTER INSERT OR UPDATE ON leases
	FOR EACH ROW EXECUTE FUNCTION pxed_lease_notify();
