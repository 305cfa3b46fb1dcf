-- The committee's own policies name its role as the accounts hold it ('committee'; schema 4 had
-- 'committee_member', which no account has, so a committee seat could decide nothing), read who
-- the login is once per statement, and the assessment weights become a seat's write: a shift
-- leader or an administrator changes them at a seat, with the entry in the administrative trail
-- under their own name, and no seat login writes any other setting.
DROP POLICY disputes_step ON disputes;
CREATE POLICY disputes_step ON disputes FOR UPDATE
  USING ((SELECT citygrid_login_role()) IN ('dispatcher', 'shift_leader', 'committee'))
  WITH CHECK ((SELECT citygrid_login_role()) IN ('dispatcher', 'shift_leader', 'committee'));
DROP POLICY routing_precedents_write ON routing_precedents;
CREATE POLICY routing_precedents_write ON routing_precedents FOR INSERT
  WITH CHECK ((SELECT citygrid_login_role()) = 'committee');
DROP POLICY routing_precedents_close ON routing_precedents;
CREATE POLICY routing_precedents_close ON routing_precedents FOR UPDATE
  USING ((SELECT citygrid_login_role()) = 'committee') WITH CHECK ((SELECT citygrid_login_role()) = 'committee');

DO $$
BEGIN
  EXECUTE format('GRANT INSERT, UPDATE ON citygrid_meta TO %I', current_database() || '_seat');
  EXECUTE format('GRANT INSERT ON admin_events TO %I', current_database() || '_seat');
END $$;
ALTER TABLE citygrid_meta ENABLE ROW LEVEL SECURITY;
CREATE POLICY citygrid_meta_read ON citygrid_meta FOR SELECT USING (true);
CREATE POLICY citygrid_meta_weights ON citygrid_meta FOR INSERT
  WITH CHECK (key = 'assessment_weights' AND (SELECT citygrid_login_role()) IN ('admin', 'shift_leader'));
CREATE POLICY citygrid_meta_weights_change ON citygrid_meta FOR UPDATE
  USING (key = 'assessment_weights' AND (SELECT citygrid_login_role()) IN ('admin', 'shift_leader'))
  WITH CHECK (key = 'assessment_weights' AND (SELECT citygrid_login_role()) IN ('admin', 'shift_leader'));
ALTER TABLE admin_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY admin_events_read ON admin_events FOR SELECT USING (true);
CREATE POLICY admin_events_setting ON admin_events FOR INSERT
  WITH CHECK (action = 'setting' AND subject = 'assessment_weights' AND actor_user_id = (SELECT citygrid_login_user())
              AND (SELECT citygrid_login_role()) IN ('admin', 'shift_leader'));
