-- Roles enforced by the server. A seat connects with its own account's login (users.pg_login);
-- every login of the district is a member of the group role `<database>_seat`, which may read
-- the reference data and the layers, report and step cases, and append to the audit trail, but
-- never change units, the command manual, the calendar, accounts, parts or boundaries, never
-- read password hashes, and never change or delete an audit entry. Row-level security decides
-- which cases: every centre post sees every case, a unit operator only those its unit leads or
-- assists on; an entry names the account that writes it; a disabled account sees nothing. The
-- owner of the tables (the login that moved the district in) is not subject to the policies.

ALTER TABLE users ADD COLUMN pg_login text UNIQUE;

-- Who the current login is, as citygrid knows it (NULL for a login that is no account). These
-- run as their owner (to read the accounts whatever the caller may), so they ask for the
-- session's login: inside them current_user is the owner.
CREATE FUNCTION citygrid_login_user() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public AS
  $$ SELECT id FROM users WHERE pg_login = session_user AND disabled_at IS NULL $$;
CREATE FUNCTION citygrid_login_role() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public AS
  $$ SELECT role FROM users WHERE pg_login = session_user AND disabled_at IS NULL $$;
CREATE FUNCTION citygrid_login_unit() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public AS
  $$ SELECT unit_id FROM users WHERE pg_login = session_user AND disabled_at IS NULL $$;

-- Whether the current login may see a case held by `unit` with `assisting` units (JSON).
CREATE FUNCTION citygrid_sees_case(unit bigint, assisting text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public AS $$
  SELECT CASE
    WHEN citygrid_login_role() IS NULL THEN false
    WHEN citygrid_login_role() = 'unit_operator' THEN
      coalesce(unit = citygrid_login_unit(), false)
      OR coalesce(assisting::jsonb @> jsonb_build_array(jsonb_build_object('unit', citygrid_login_unit())), false)
    ELSE true
  END $$;

-- The head of a chain whatever the caller may see (a unit operator's view of the trail is
-- partial, the chain is not).
ALTER FUNCTION citygrid_chain_head() SECURITY DEFINER SET search_path = pg_catalog, public;
CREATE FUNCTION citygrid_audit_head(chain text) RETURNS TABLE (id bigint, hash text) LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public AS $$
BEGIN
  IF chain NOT IN ('case_events', 'admin_events') THEN
    RAISE EXCEPTION 'no audit chain %', chain;
  END IF;
  RETURN QUERY EXECUTE format('SELECT id, hash FROM %I ORDER BY id DESC LIMIT 1', chain);
END $$;

-- What each role may write to the audit trail: (role, action, state before), filled from the
-- workflow's transition table when the district moves in.
CREATE TABLE role_actions (role text NOT NULL, action text NOT NULL, from_state text,
  UNIQUE NULLS NOT DISTINCT (role, action, from_state));

DO $$
DECLARE
  seat text := current_database() || '_seat';
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = seat) THEN
    EXECUTE format('CREATE ROLE %I NOLOGIN', seat);
  END IF;
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), seat);
  EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', seat);
  EXECUTE format('GRANT SELECT ON citygrid_meta, units, manual_major_classes, manual_entries, manual_limits, stage_limits,
    calendar_days, part_points, part_lines, part_polygons, jurisdictions, streets, routing_precedents, disputes,
    dispute_statements, dispute_site_checks, admin_events, role_actions TO %I', seat);
  EXECUTE format('GRANT SELECT (id, login, display_name, role, unit_id, disabled_at, must_change_password, auth_epoch, pg_login)
    ON users TO %I', seat);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE ON cases, case_requests, case_pauses, backlog_ledger, reporter_feedback TO %I', seat);
  EXECUTE format('GRANT SELECT, INSERT ON case_events TO %I', seat);
  EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO %I', seat);
  EXECUTE format('GRANT EXECUTE ON FUNCTION citygrid_audit_head(text) TO %I', seat);
END $$;
REVOKE EXECUTE ON FUNCTION citygrid_audit_head(text) FROM PUBLIC;

ALTER TABLE cases ENABLE ROW LEVEL SECURITY;
CREATE POLICY cases_read ON cases FOR SELECT USING (citygrid_sees_case(unit_id, assisting));
CREATE POLICY cases_report ON cases FOR INSERT
  WITH CHECK (citygrid_login_role() IN ('intake', 'collector', 'shift_leader'));
CREATE POLICY cases_step ON cases FOR UPDATE
  USING (citygrid_sees_case(unit_id, assisting) AND citygrid_login_role() <> 'admin')
  WITH CHECK (citygrid_sees_case(unit_id, assisting) AND citygrid_login_role() <> 'admin');

ALTER TABLE case_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY case_events_read ON case_events FOR SELECT USING (EXISTS (SELECT 1 FROM cases c WHERE c.fid = case_fid));
CREATE POLICY case_events_append ON case_events FOR INSERT
  WITH CHECK (actor_user_id = citygrid_login_user() AND citygrid_login_role() <> 'admin'
              AND EXISTS (SELECT 1 FROM cases c WHERE c.fid = case_fid)
              AND EXISTS (SELECT 1 FROM role_actions r WHERE r.role = citygrid_login_role() AND r.action = case_events.action
                          AND r.from_state IS NOT DISTINCT FROM case_events.from_state));

-- A seat writes the case row first, then its entry (which carries the row's digest): the entry's
-- state after the step must be the row's. (Not checked for the owner, who loads history.)
CREATE FUNCTION citygrid_entry_matches_case() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public AS $$
BEGIN
  IF citygrid_login_role() IS NOT NULL
     AND NEW.to_state IS DISTINCT FROM (SELECT state FROM cases WHERE fid = NEW.case_fid) THEN
    RAISE EXCEPTION 'case_events entry % says the case is now %, but the case row says otherwise', NEW.id, NEW.to_state;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER case_events_match_case BEFORE INSERT ON case_events FOR EACH ROW EXECUTE FUNCTION citygrid_entry_matches_case();

ALTER TABLE case_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY case_requests_of_case ON case_requests USING (EXISTS (SELECT 1 FROM cases c WHERE c.fid = case_fid))
  WITH CHECK (EXISTS (SELECT 1 FROM cases c WHERE c.fid = case_fid) AND citygrid_login_role() <> 'admin');
ALTER TABLE case_pauses ENABLE ROW LEVEL SECURITY;
CREATE POLICY case_pauses_of_case ON case_pauses USING (EXISTS (SELECT 1 FROM cases c WHERE c.fid = case_fid))
  WITH CHECK (EXISTS (SELECT 1 FROM cases c WHERE c.fid = case_fid) AND citygrid_login_role() <> 'admin');
ALTER TABLE backlog_ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY backlog_ledger_of_case ON backlog_ledger USING (EXISTS (SELECT 1 FROM cases c WHERE c.fid = case_fid))
  WITH CHECK (EXISTS (SELECT 1 FROM cases c WHERE c.fid = case_fid) AND citygrid_login_role() <> 'admin');
ALTER TABLE reporter_feedback ENABLE ROW LEVEL SECURITY;
CREATE POLICY reporter_feedback_of_case ON reporter_feedback USING (EXISTS (SELECT 1 FROM cases c WHERE c.fid = case_fid))
  WITH CHECK (EXISTS (SELECT 1 FROM cases c WHERE c.fid = case_fid) AND citygrid_login_role() IN ('intake', 'shift_leader'));
