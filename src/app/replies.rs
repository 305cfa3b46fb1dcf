//! The desk worker's replies: sign-in, steps taken or refused, timelines, disputes, the
//! ledger, the assessment and changes made at other seats, applied to the seat's state.

use std::sync::Arc;

use crate::desk::worker::{DeskReply, DeskRequest, DeskWorker};
use crate::session::{Command, Selection};
use crate::ui;

use super::{CitygridApp, Phase};

impl CitygridApp {
    pub(super) fn poll_desk(&mut self) {
        self.poll_record_exports();
        let replies = self.worker.as_ref().map(DeskWorker::replies).unwrap_or_default();
        for reply in replies {
            self.handle_reply(reply);
        }
        // The lights follow the clock: running clocks are measured again every 20 s.
        let now = self.now();
        if let Phase::Ready(world) = &self.phase
            && (now - self.book.measured_at()).num_seconds().abs() >= 20
        {
            let watching = self.desk.user.clone().filter(|user| self.settings.alerts.overdue && user.role != crate::model::Role::Viewer);
            let before = watching.as_ref().map(|user| crate::desk::alerts::overdue_now(&self.book, user));
            self.book.remeasure(&world.calendar, now);
            if let (Some(user), Some(before)) = (watching, before) {
                let alerts = crate::desk::alerts::newly_overdue(&self.book, &before, &user, &self.settings.alerts);
                self.alert(alerts);
            }
        }
    }

    /// Shows new alerts, and flashes the window in the background if the user wants that.
    fn alert(&mut self, alerts: Vec<crate::desk::alerts::Alert>) {
        if alerts.is_empty() {
            return;
        }
        let now = self.now();
        self.desk.alerts.push(alerts, now);
        let focused = self.ctx.input(|input| input.viewport().focused.unwrap_or(true));
        if self.settings.alerts.flash_window && !focused {
            self.ctx.send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(egui::UserAttentionType::Informational));
        }
        self.ctx.request_repaint();
    }

    pub(super) fn handle_reply(&mut self, reply: DeskReply) {
        let lang = self.settings.lang;
        let Phase::Ready(world) = &self.phase else { return };
        let world = Arc::clone(world);
        match reply {
            DeskReply::SignedIn(result) => {
                self.desk.sign_in.busy = false;
                match result {
                    Ok(session) => {
                        self.desk.sign_in = ui::desk::SignInForm::default();
                        self.desk.notice = session
                            .clock_behind
                            .map(|behind| ui::desk::Notice { text: ui::desk::clock_behind_text(behind, lang), error: true });
                        let takes_shifts = ui::handover::takes_shifts(&session.user);
                        self.desk.user = Some(session.user);
                        self.send_to_worker(DeskRequest::Disputes, None, None);
                        if takes_shifts {
                            // The last shift's note opens by itself if it waits for this user.
                            self.send_to_worker(DeskRequest::Handovers, None, None);
                        }
                    }
                    Err(error) => self.desk.sign_in.error = Some(error.message(lang.is_chinese())),
                }
            }
            DeskReply::Busy { .. } => {
                self.desk.notice = Some(ui::desk::Notice {
                    text: lang
                        .pick(
                            "数据库正忙（另一处正在写入，例如导入数据），正在重试，办理不会丢失…",
                            "The database is busy (another seat is writing, e.g. an import); retrying, the step will not be lost…",
                        )
                        .to_owned(),
                    error: false,
                });
            }
            DeskReply::PasswordChanged(result) => {
                self.desk.sign_in.busy = false;
                match result {
                    Ok(user) => {
                        self.desk.sign_in = ui::desk::SignInForm::default();
                        self.desk.user = Some(user);
                        // A warning from the sign-in (the seat's clock) stays in view.
                        let changed = lang.pick("密码已修改。", "Password changed.");
                        self.desk.notice = Some(match self.desk.notice.take().filter(|notice| notice.error) {
                            Some(warning) => ui::desk::Notice { text: format!("{changed} {}", warning.text), error: true },
                            None => ui::desk::Notice { text: changed.to_owned(), error: false },
                        });
                    }
                    Err(error) => self.desk.sign_in.error = Some(error.message(lang.is_chinese())),
                }
            }
            DeskReply::Applied { ticket, result } => {
                if self.desk.pending.as_ref().is_some_and(|(pending, _)| *pending == ticket) {
                    self.desk.pending = None;
                }
                match result {
                    Ok(case) => {
                        let text = format!("{} {}", case.case_no, lang.pick("已办理", "updated"));
                        let position = self.book.upsert(case, &world.calendar);
                        self.desk.notice = Some(ui::desk::Notice { text, error: false });
                        self.desk.timeline = None;
                        self.selection = Some(Selection::Case(position));
                        if self.desk.ledger.entries.is_some() {
                            self.send_to_worker(DeskRequest::Ledger, None, None);
                        }
                    }
                    Err(error) => self.refused(&error),
                }
            }
            DeskReply::AppliedMany { ticket, results } => {
                if self.desk.pending.as_ref().is_some_and(|(pending, _)| *pending == ticket) {
                    self.desk.pending = None;
                }
                let mut refused = Vec::new();
                let mut done = 0;
                for (case_id, result) in results {
                    match result {
                        Ok(case) => {
                            self.desk.list.ticked.remove(&case.id);
                            self.book.upsert(case, &world.calendar);
                            done += 1;
                        }
                        Err(error) => {
                            let case_no = self
                                .book
                                .position_of(case_id)
                                .and_then(|position| self.book.get(position))
                                .map_or_else(|| case_id.to_string(), |case| case.case_no.clone());
                            refused.push(format!("{case_no}: {}", error.message(lang.is_chinese())));
                        }
                    }
                }
                self.desk.timeline = None;
                let text = match lang {
                    ui::Lang::Zh => format!("已派遣 {done} 件"),
                    ui::Lang::En => format!("{done} dispatched"),
                };
                self.desk.notice = Some(if refused.is_empty() {
                    ui::desk::Notice { text, error: false }
                } else {
                    let heading = match lang {
                        ui::Lang::Zh => format!("；{} 件未派遣（仍勾选）：", refused.len()),
                        ui::Lang::En => format!("; {} not dispatched (still ticked): ", refused.len()),
                    };
                    ui::desk::Notice { text: format!("{text}{heading}{}", refused.join("；")), error: true }
                });
            }
            DeskReply::Reported { ticket, result } => {
                if self.desk.pending.as_ref().is_some_and(|(pending, _)| *pending == ticket) {
                    self.desk.pending = None;
                }
                match result {
                    Ok(reported) => {
                        let mut text = format!("{} {}", lang.pick("已上报案卷", "Reported case"), reported.case.case_no);
                        if !reported.possible_duplicates.is_empty() {
                            let numbers: Vec<&str> = reported.possible_duplicates.iter().map(|d| d.case_no.as_str()).collect();
                            text.push_str(&format!(
                                "{}{}",
                                lang.pick("；可能与以下案卷重复：", "; possibly the same as: "),
                                numbers.join(", ")
                            ));
                        }
                        let position = self.book.upsert(reported.case, &world.calendar);
                        self.desk.notice = Some(ui::desk::Notice { text, error: false });
                        self.selection = Some(Selection::Case(position));
                    }
                    Err(error) => self.refused(&error),
                }
            }
            DeskReply::Timeline { case_id, result } => {
                let revision = self.book.position_of(case_id).and_then(|position| self.book.get(position)).map_or(0, |case| case.revision);
                self.desk.timeline = Some((case_id, revision, result.map_err(|error| error.to_string())));
            }
            DeskReply::Changed(cases) => {
                // Any change may move a case into or out of the ledger, or be a dispute step.
                let backlog_touched = !cases.is_empty();
                if !cases.is_empty() && self.desk.user.is_some() {
                    self.send_to_worker(DeskRequest::Disputes, None, None);
                    if self.desk.assessment.open {
                        let period = self.desk.assessment.choice.period(self.now().date());
                        let options = self.desk.assessment.options();
                        let now = self.now();
                        self.send_to_worker(DeskRequest::Assess { period, options, now }, None, None);
                    }
                }
                let alerts = match &self.desk.user {
                    Some(user) => crate::desk::alerts::on_change(&self.book, &cases, user, &self.settings.alerts),
                    None => Vec::new(),
                };
                for case in cases {
                    self.book.upsert(case, &world.calendar);
                }
                self.alert(alerts);
                if backlog_touched && self.desk.ledger.entries.is_some() {
                    self.send_to_worker(DeskRequest::Ledger, None, None);
                }
            }
            DeskReply::Outbox(result) => {
                if self.desk.exchange.rows.is_some() {
                    self.desk.exchange.rows = Some(Some(result.map_err(|error| error.to_string())));
                }
            }
            DeskReply::Resent(result) => {
                let lang = self.settings.lang;
                match result {
                    Ok(_) => {
                        let text = lang.pick("已安排立即重发", "Queued to be sent at once").to_owned();
                        self.desk.notice = Some(crate::ui::desk::Notice { text, error: false });
                        self.send_to_worker(DeskRequest::Outbox, None, None);
                    }
                    Err(error) => self.refused(&crate::workflow::WorkflowError::Store(error)),
                }
            }
            DeskReply::Handovers(result) => {
                self.desk.handover.notes = Some(result.map_err(|error| error.to_string()));
            }
            DeskReply::HandoverWritten(result) => match result {
                Ok(()) => {
                    self.desk.handover.draft.clear();
                    self.desk.notice =
                        Some(ui::desk::Notice { text: lang.pick("交接记录已保存", "Handover note saved").to_owned(), error: false });
                    self.send_to_worker(DeskRequest::Handovers, None, None);
                }
                Err(error) => self.refused(&crate::workflow::WorkflowError::Store(error)),
            },
            DeskReply::Ledger(result) => {
                if self.desk.ledger.entries.is_some() {
                    self.desk.ledger.entries = Some(Some(result.map_err(|error| error.to_string())));
                }
            }
            DeskReply::Precedents(precedents) => self.book.set_precedents(precedents),
            DeskReply::Assessed(result) => {
                self.desk.assessment.busy = false;
                self.desk.assessment.report = Some((*result).map_err(|error| error.to_string()));
            }
            DeskReply::WeightsSaved(result) => {
                let lang = self.settings.lang;
                match result {
                    Ok(_) => {
                        self.desk.assessment.weights_error = None;
                        self.desk.notice =
                            Some(ui::desk::Notice { text: lang.pick("权重已保存", "Weights saved").to_owned(), error: false });
                        let period = self
                            .desk
                            .assessment
                            .report
                            .as_ref()
                            .and_then(|report| report.as_ref().ok())
                            .map_or_else(|| self.desk.assessment.choice.period(self.now().date()), |report| report.period);
                        self.apply(Command::Assess(period));
                    }
                    Err(error) => self.desk.assessment.weights_error = Some(error),
                }
            }
            DeskReply::AssessedCases(result) => match result {
                Ok(drill) => {
                    self.desk.list.filter = crate::desk::CaseFilter {
                        scope: crate::desk::Scope::All,
                        cases: Some(crate::desk::CaseIdFilter::new(drill.label, drill.case_ids)),
                        ..crate::desk::CaseFilter::default()
                    };
                    self.desk.list.open = true;
                }
                Err(error) => self.desk.notice = Some(ui::desk::Notice { text: error.to_string(), error: true }),
            },
            DeskReply::Disputes(result) => match result {
                Ok(records) => self.desk.disputes.records = records,
                Err(error) => self.desk.notice = Some(ui::desk::Notice { text: error.to_string(), error: true }),
            },
            DeskReply::DisputeDone { ticket, result } => {
                if self.desk.pending.as_ref().is_some_and(|(pending, _)| *pending == ticket) {
                    self.desk.pending = None;
                }
                match *result {
                    Ok(outcome) => {
                        let text = format!(
                            "{} #{} · {}",
                            lang.pick("争议", "Dispute"),
                            outcome.record.dispute.id,
                            crate::model::Labelled::label(outcome.record.dispute.state, lang)
                        );
                        if let Some(precedent) = outcome.record.precedent.clone() {
                            let mut precedents = self.book.precedents().to_vec();
                            precedents.retain(|known| known.id != precedent.id);
                            precedents.push(precedent);
                            self.book.set_precedents(precedents);
                        }
                        let position = self.book.upsert(outcome.case, &world.calendar);
                        self.desk.disputes.records.retain(|record| record.dispute.id != outcome.record.dispute.id);
                        self.desk.disputes.records.push(outcome.record);
                        self.desk.notice = Some(ui::desk::Notice { text, error: false });
                        self.desk.timeline = None;
                        self.selection = Some(Selection::Case(position));
                    }
                    Err(error) => self.refused(&error),
                }
            }
            DeskReply::Unavailable(message) => {
                self.desk.unavailable = Some(message);
                if self.desk.unavailable_since.is_none() {
                    self.desk.unavailable_since = Some(self.now());
                }
            }
            DeskReply::Available => {
                self.desk.unavailable = None;
                self.desk.unavailable_since = None;
            }
        }
    }
}
