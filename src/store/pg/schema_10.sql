-- Shift handover notes (交接班, issue 22): an intake operator, dispatcher or shift leader writes
-- the note at a seat, and the next shift confirms reading it, each as an entry of the
-- administrative trail under the writer's own account. No other seat entry is allowed by this.
CREATE POLICY admin_events_handover ON admin_events FOR INSERT
  WITH CHECK (action IN ('handover', 'handover_read') AND actor_user_id = (SELECT citygrid_login_user())
              AND (SELECT citygrid_login_role()) IN ('intake', 'dispatcher', 'shift_leader'));
