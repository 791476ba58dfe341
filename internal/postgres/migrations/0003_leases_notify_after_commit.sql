-- Lease changes are no longer announced by a trigger inside the committing
-- transaction: PostgreSQL serialises every committing transaction that
-- notifies (a global lock held until its commit is flushed), which held the
-- commit rate to about 200 a second here. pxed now announces the leases it
-- committed itself, afterwards and in batches (see announce.go).
DROP TRIGGER leases_notify ON leases;
DROP FUNCTION pxed_lease_notify();
