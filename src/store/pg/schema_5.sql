-- A case row changes only with a step: whoever logs in as a seat (a modified seat, psql) and
-- updates or inserts a case must append the case's audit entry in the same transaction, checked
-- at commit; and only a post that may take some step writes case rows at all (a viewer, such as
-- the wall's account, reads and writes nothing). The owner, who moves districts in, is not a
-- seat and is not checked here (`audit verify` finds what it changes around citygrid).
DROP POLICY cases_step ON cases;
CREATE POLICY cases_step ON cases FOR UPDATE
  USING (citygrid_sees_case(unit_id, assisting) AND citygrid_login_role() IN (SELECT role FROM role_actions))
  WITH CHECK (citygrid_sees_case(unit_id, assisting) AND citygrid_login_role() IN (SELECT role FROM role_actions));

CREATE FUNCTION citygrid_case_change_has_entry() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public AS $$
BEGIN
  IF citygrid_login_role() IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM case_events e
        WHERE e.case_fid = NEW.fid
          AND e.xmin::text = (pg_current_xact_id()::text::bigint % 4294967296)::text) THEN
    RAISE EXCEPTION 'case % was changed without a step: a case row changes only with its audit entry', NEW.case_no;
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER cases_change_has_entry AFTER INSERT OR UPDATE ON cases
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION citygrid_case_change_has_entry();
