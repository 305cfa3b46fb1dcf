//! The video wall on the real app and a real database file: today's figures from the cases, the
//! layout at 1920×1080 and 3840×2160, and a change made by another process's seat showing up
//! on the wall by itself.

mod common;

use std::time::{Duration, Instant};

use citygrid::app::{CitygridApp, harness, wait_until_loaded};
use citygrid::model::CaseState;
use citygrid::store::Store;
use citygrid::ui::Lang;
use citygrid::workflow::{Action, Workflow};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn wall(path: &std::path::Path, size: [u32; 2]) -> Harness<'static, CitygridApp> {
    let mut harness = harness(path, None, size, Lang::Zh, Some(common::as_of()));
    harness.state_mut().set_wall(false);
    wait_until_loaded(&mut harness, Duration::from_secs(120)).expect("loads");
    harness.run_steps(3);
    harness
}

#[test]
fn the_wall_shows_todays_figures_without_a_sign_in_at_both_sizes() {
    let (_dir, path, _) = common::small_demo(3_000, 300);
    for size in [[1920, 1080], [3840, 2160]] {
        let harness = wall(&path, size);
        assert!(harness.state().user().is_none(), "no sign-in on the wall");
        let figures = citygrid::ui::wall::figures(harness.state().cases(), common::as_of());
        assert!(figures.overdue_now > 0 && figures.open_now > figures.overdue_now, "{figures:?}");
        for label in ["今日上报", "今日派遣", "今日结案", "当前超期", "今日按期结案率", "本月单位按期结案率排名", "新近超期"]
        {
            harness.get_by_label(label);
        }
        assert!(
            harness.query_all_by_label(&figures.overdue_now.to_string()).count() >= 1,
            "the overdue tile shows {}",
            figures.overdue_now
        );
        // The layout is the same at 4K, twice as sharp: laid out in 1920×1080 points.
        let screen = harness.ctx.content_rect();
        assert!((screen.height() - 1080.0).abs() < 1.0, "{size:?} is laid out as {screen:?}");
    }
}

#[test]
fn a_step_taken_at_another_seat_reaches_the_wall_within_two_seconds() {
    let (_dir, path, _) = common::small_demo(3_000, 300);
    common::file_one_case(&path);
    let mut wall = wall(&path, [1920, 1080]);
    let before = citygrid::ui::wall::figures(wall.state().cases(), common::as_of());
    // Another seat (its own connection, as another process would) dispatches a filed case.
    let mut store = Store::open(&path).expect("opens");
    let workflow = Workflow::load(&store).expect("rules");
    let dispatcher = store.user_by_login("dispatch1").expect("reads").expect("demo dispatcher");
    let case = store.load_cases().expect("cases").into_iter().find(|case| case.state == CaseState::Filed).expect("a filed case");
    let unit = workflow.units().iter().find(|unit| unit.takes_dispatches()).expect("a handling unit").id;
    workflow
        .apply(&mut store, &dispatcher, case.id, case.revision, &Action::Dispatch { unit, note: String::new() }, common::as_of())
        .expect("dispatched");
    drop(store);
    let started = Instant::now();
    loop {
        wall.step();
        let position = wall.state().cases().position_of(case.id).expect("known");
        if wall.state().cases().get(position).is_some_and(|case| case.state == CaseState::Dispatched) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(2), "the wall did not see the dispatch within 2 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    wall.run_steps(2);
    let after = citygrid::ui::wall::figures(wall.state().cases(), common::as_of());
    assert_eq!(after.dispatched_today, before.dispatched_today + 1);
    assert!(wall.query_all_by_label(&after.dispatched_today.to_string()).count() >= 1);
}

#[test]
fn the_seat_worker_says_when_the_file_is_gone_and_reconnects_by_itself() {
    use citygrid::desk::worker::{DeskReply, DeskWorker};
    let (_dir, path, _) = common::small_demo(500, 10);
    // The share the file lives on goes away for a while.
    let away = path.with_file_name("away.gpkg");
    std::fs::rename(&path, &away).expect("moves");
    let worker = DeskWorker::start(citygrid::store::Location::File(path.clone()), 0, || {}).expect("starts");
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < Duration::from_secs(10), "no 'unavailable' reply");
        if let Some(DeskReply::Unavailable(message)) = worker.wait_reply(Duration::from_millis(200)) {
            assert!(message.contains("no such file"), "{message}");
            break;
        }
    }
    std::fs::rename(&away, &path).expect("comes back");
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < Duration::from_secs(10), "no reconnection");
        if let Some(DeskReply::Available) = worker.wait_reply(Duration::from_millis(200)) {
            break;
        }
    }
}
