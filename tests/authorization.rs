//! Who may write what, checked where the write happens (store, workflow, import), on the account
//! as it is in the file at that moment: every role against every write, refusals leaving the
//! file untouched (`data_version` seen from another connection does not move), and a seat whose
//! account was changed at another seat refused at its next step.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;

use citygrid::assess::Weights;
use citygrid::io::{self, OnIssue, Policy, SourceOptions, Target};
use citygrid::model::{Role, User};
use citygrid::store::{AccessError, AuthError, Store, StoreError, Write};
use citygrid::workflow::{Action, Refusal, Workflow, WorkflowError};

fn template() -> &'static Path {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = TEMPLATE.get_or_init(|| {
        let (dir, path, _) = common::small_demo(300, 30);
        (dir, path)
    });
    path
}

/// A fresh copy of the demo district (one account per role, `admin` included).
fn fresh() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("city.gpkg");
    std::fs::copy(template(), &path).expect("copy");
    (dir, path)
}

const LOGINS: [(&str, Role); 8] = [
    ("intake1", Role::IntakeOperator),
    ("dispatch1", Role::Dispatcher),
    ("leader1", Role::ShiftLeader),
    ("collector1", Role::FieldCollector),
    ("unit_cgj_ld", Role::UnitOperator),
    ("committee1", Role::CommitteeMember),
    ("admin", Role::Administrator),
    ("wall1", Role::Viewer),
];

fn signed_in(store: &Store, login: &str) -> User {
    store.authenticate(login, citygrid::demo::DEMO_PASSWORD).expect("signs in")
}

#[derive(Debug, Clone, Copy)]
enum Attempt {
    Import,
    AddAccount,
    ResetPassword,
    ChangeRole,
    Disable,
    Weights,
    AcceptReference,
}

impl Attempt {
    const ALL: [Self; 7] =
        [Self::Import, Self::AddAccount, Self::ResetPassword, Self::ChangeRole, Self::Disable, Self::Weights, Self::AcceptReference];

    fn write(self) -> Write {
        match self {
            Self::Import => Write::Import,
            Self::AddAccount | Self::ResetPassword | Self::ChangeRole | Self::Disable => Write::Accounts,
            Self::Weights => Write::Weights,
            Self::AcceptReference => Write::ReferenceData,
        }
    }

    /// Makes the write as `by`; the store's error when refused.
    fn run(self, store: &mut Store, by: &User) -> Result<(), StoreError> {
        // Someone else's account (one's own password is one's own to change).
        let other = if by.login == "collector1" { "intake1" } else { "collector1" };
        let target = store.user_by_login(other).expect("reads").expect("a demo account").id;
        let auth = |result: Result<(), AuthError>| match result {
            Err(AuthError::Store(error)) => Err(error),
            Err(other) => panic!("{self:?}: not an access refusal: {other}"),
            Ok(()) => Ok(()),
        };
        match self {
            Self::Import => {
                let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import/parts.geojson");
                let inspection = io::inspect(&file, &SourceOptions::default()).expect("inspect");
                let profile = io::auto_profile(Target::Parts, &inspection.layers[0].fields);
                match io::commit(store, by, &file, &profile, &Policy::all(OnIssue::Stop), &mut |_| {}, &AtomicBool::new(false)) {
                    Ok(_) => Ok(()),
                    Err(io::ImportError::Store(error)) => Err(error),
                    Err(other) => panic!("import failed otherwise: {other}"),
                }
            }
            Self::AddAccount => auth(store.add_user(by, "new9", "新账号", Role::Dispatcher, None, "long enough").map(drop)),
            Self::ResetPassword => auth(store.set_password(by, target, "long enough").map(drop)),
            Self::ChangeRole => auth(store.set_role(by, target, Role::Dispatcher, None).map(drop)),
            Self::Disable => auth(store.set_disabled(by, target, true)),
            Self::Weights => {
                Weights { closure: 0.1, on_time: 0.5, rework: 0.3, few_cases: 10.0, returns: 0.3, ..Weights::default() }.save(store, by)
            }
            Self::AcceptReference => store.accept_reference_data(by, "checked").map(drop),
        }
    }
}

#[test]
fn every_role_against_every_write_outside_the_workflow() {
    let mut allowed_count = 0;
    for attempt in Attempt::ALL {
        for (login, role) in LOGINS {
            let (_dir, path) = fresh();
            let mut store = Store::open(&path).expect("open");
            let observer = Store::open(&path).expect("a second connection");
            let by = signed_in(&store, login);
            let version = observer.data_version().expect("version");
            let entries = observer.verify_audit(None).expect("verify").admin_entries;
            let result = attempt.run(&mut store, &by);
            let allowed = attempt.write().allowed().contains(&role);
            if allowed {
                result.unwrap_or_else(|error| panic!("{role:?} may {attempt:?}: {error}"));
                assert_ne!(observer.data_version().expect("version"), version, "{attempt:?} by {role:?} was written");
                let report = observer.verify_audit(None).expect("verify");
                assert_eq!(report.admin_entries, entries + 1, "{attempt:?} by {role:?} has its audit entry");
                assert!(report.is_intact(), "{attempt:?} by {role:?}: {report:?}");
                allowed_count += 1;
            } else {
                match result {
                    Err(StoreError::Access(AccessError::NotAllowed { what, role: refused })) => {
                        assert_eq!((what, refused), (attempt.write(), role));
                    }
                    other => panic!("{role:?} must not {attempt:?}: {other:?}"),
                }
                assert_eq!(observer.data_version().expect("version"), version, "a refused {attempt:?} by {role:?} wrote nothing");
            }
        }
    }
    assert_eq!(allowed_count, 8, "the administrator may make all seven, the shift leader changes weights too");
}

/// The unit's report that the case was handled.
fn handled() -> Action {
    Action::Handle { note: "已修复".into(), photos: Vec::new() }
}

/// The first dispatched case of the demo, with the login of its unit's operator.
fn dispatched_case(store: &Store) -> (citygrid::model::Case, String) {
    let case = store
        .load_cases()
        .expect("cases")
        .into_iter()
        .find(|case| case.state == citygrid::model::CaseState::Dispatched)
        .expect("a dispatched case");
    let operator = store
        .load_users()
        .expect("users")
        .into_iter()
        .find(|user| user.role == Role::UnitOperator && user.unit == case.unit)
        .expect("the unit's operator");
    (case, operator.login)
}

#[test]
fn a_seat_whose_account_was_demoted_or_disabled_at_another_seat_is_refused_at_its_next_step() {
    let (_dir, path) = fresh();
    let mut seat = Store::open(&path).expect("the unit's seat");
    let (case, login) = dispatched_case(&seat);
    let operator = signed_in(&seat, &login);
    let workflow = Workflow::load(&seat).expect("workflow");
    let now = common::as_of() + chrono::TimeDelta::hours(1);
    // The administrator, at another seat, moves the operator to another role.
    let mut admin_seat = Store::open(&path).expect("the administrator's seat");
    let admin = signed_in(&admin_seat, "admin");
    admin_seat.set_role(&admin, operator.id, Role::FieldCollector, None).expect("demoted");
    let version = admin_seat.data_version().expect("version");
    let refused = workflow.apply(&mut seat, &operator, case.id, case.revision, &handled(), now).expect_err("refused");
    assert!(matches!(refused, WorkflowError::Store(StoreError::Access(AccessError::SignedOut { .. }))), "{refused:?}");
    assert!(refused.message(true).contains("请重新登录"), "{}", refused.message(true));
    assert_eq!(admin_seat.data_version().expect("version"), version, "nothing written");
    // Signing in again gives the new role, which may not take the unit's step.
    let again = signed_in(&seat, &login);
    assert_eq!(again.role, Role::FieldCollector);
    let refused = workflow.apply(&mut seat, &again, case.id, case.revision, &handled(), now).expect_err("refused");
    assert!(matches!(refused.refusal(), Some(Refusal::RoleNotAllowed { .. })), "{refused:?}");
    // A forged account with the right epoch but a better role is judged by the file's role.
    let forged = User { role: Role::Administrator, ..again.clone() };
    let refused = workflow.apply(&mut seat, &forged, case.id, case.revision, &handled(), now).expect_err("refused");
    assert!(matches!(refused.refusal(), Some(Refusal::RoleNotAllowed { role: Role::FieldCollector, .. })), "{refused:?}");
    // Disabled: cannot sign in, and an open seat is refused.
    let leader = signed_in(&seat, "leader1");
    admin_seat.set_disabled(&admin, leader.id, true).expect("disabled");
    assert!(matches!(seat.authenticate("leader1", citygrid::demo::DEMO_PASSWORD), Err(AuthError::Disabled)));
    let refused = workflow.apply(&mut seat, &leader, case.id, case.revision, &handled(), now).expect_err("refused");
    assert!(matches!(refused, WorkflowError::Store(StoreError::Access(AccessError::Disabled { .. }))), "{refused:?}");
    // A reset password ends the session too, and the new one must be changed before any step.
    let dispatcher = signed_in(&seat, "dispatch1");
    admin_seat.set_password(&admin, dispatcher.id, "temporary pass").expect("reset");
    let refused = workflow.apply(&mut seat, &dispatcher, case.id, case.revision, &handled(), now).expect_err("refused");
    assert!(matches!(refused, WorkflowError::Store(StoreError::Access(AccessError::SignedOut { .. }))), "{refused:?}");
    let reset = seat.authenticate("dispatch1", "temporary pass").expect("signs in with the reset password");
    assert!(reset.must_change_password);
    let refused = workflow.apply(&mut seat, &reset, case.id, case.revision, &handled(), now).expect_err("refused");
    assert!(matches!(refused, WorkflowError::Store(StoreError::Access(AccessError::MustChangePassword { .. }))), "{refused:?}");
    let changed = seat.set_password(&reset, reset.id, "my own password").expect("changes its own");
    assert!(!changed.must_change_password);
    // Nobody locks the centre out.
    assert!(matches!(
        admin_seat.set_disabled(&admin, admin.id, true),
        Err(AuthError::Store(StoreError::Access(AccessError::WouldLockOut)))
    ));
    assert!(matches!(
        admin_seat.set_role(&admin, admin.id, Role::Dispatcher, None),
        Err(AuthError::Store(StoreError::Access(AccessError::WouldLockOut)))
    ));
    assert!(Store::open_read_only(&path).expect("open").verify_audit(None).expect("verify").is_intact());
}

#[test]
fn a_step_timed_before_the_cases_last_step_is_refused() {
    let (_dir, path) = fresh();
    let mut store = Store::open(&path).expect("open");
    let (case, login) = dispatched_case(&store);
    let operator = signed_in(&store, &login);
    let last = store.case_events(case.id).expect("trail").last().expect("an entry").at;
    let workflow = Workflow::load(&store).expect("workflow");
    let version = store.data_version().expect("version");
    // The seat's clock was set back a day before clicking.
    let refused =
        workflow.apply(&mut store, &operator, case.id, case.revision, &handled(), last - chrono::TimeDelta::days(1)).expect_err("refused");
    assert!(matches!(refused.refusal(), Some(Refusal::EarlierThanLastStep { .. })), "{refused:?}");
    assert!(refused.message(true).contains("时间不能倒退"), "{}", refused.message(true));
    assert_eq!(store.data_version().expect("version"), version);
    workflow.apply(&mut store, &operator, case.id, case.revision, &handled(), last).expect("at the same minute it goes");
}

#[test]
fn accounts_or_reference_data_edited_around_citygrid_are_reported_until_accepted() {
    let (_dir, path) = fresh();
    let conn = rusqlite::Connection::open(&path).expect("raw");
    // A unit operator makes itself administrator; a time limit is lengthened.
    conn.execute("UPDATE users SET role = 'admin' WHERE login = 'unit_cgj_ld'", []).expect("edit");
    conn.execute("UPDATE manual_limits SET amount = amount * 10 WHERE id = (SELECT min(id) FROM manual_limits)", []).expect("edit");
    drop(conn);
    let report = Store::open_read_only(&path).expect("open").verify_audit(None).expect("verify");
    let groups: Vec<&str> = report.unsealed.iter().map(|(group, _)| *group).collect();
    assert_eq!(groups, ["reference", "accounts"], "{report:?}");
    let mut store = Store::open(&path).expect("open");
    let admin = signed_in(&store, "admin");
    store.accept_reference_data(&admin, "limits reviewed").expect("accepted");
    let report = store.verify_audit(None).expect("verify");
    assert_eq!(report.unsealed.iter().map(|(group, _)| *group).collect::<Vec<_>>(), ["accounts"], "{report:?}");
}
