-- Live updates without polling tables: every statement that appends to the case trail notifies
-- `<database>_cases` with the newest entry id it wrote (ids, never rows: a payload is at most
-- 8,000 bytes, and a notification is delivered only after its transaction commits). A seat or
-- the wall that hears it reads the cases with entries after the id it has (as seats on a file
-- do after SQLite's data_version changes). One notification per statement, so a district's
-- history loaded by COPY is one notification, not one per entry.
CREATE FUNCTION citygrid_notify_cases() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  newest bigint;
BEGIN
  SELECT max(id) INTO newest FROM appended;
  IF newest IS NOT NULL THEN
    PERFORM pg_notify(current_database() || '_cases', newest::text);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER case_events_notify AFTER INSERT ON case_events REFERENCING NEW TABLE AS appended
  FOR EACH STATEMENT EXECUTE FUNCTION citygrid_notify_cases();

-- A step carries an id made where it was taken (a seat, a terminal): the server takes it once,
-- so a step retried after a lost connection is not applied twice. Not part of the hash chain.
ALTER TABLE case_events ADD COLUMN step_id text;
CREATE UNIQUE INDEX case_events_step_id ON case_events(step_id) WHERE step_id IS NOT NULL;
