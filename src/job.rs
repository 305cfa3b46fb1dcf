//! One way to run work off the UI thread: a named thread with its progress, a cancel flag and
//! its result, and a callback (the UI's repaint) called whenever one of them changes.
//!
//! The loader, the import and export steps, the topology check, the basemap opener and the
//! record exports all run as a [`Job`]; the UI polls [`Job::take_result`] each frame and shows
//! [`Job::progress`] meanwhile, so it never waits on disk or heavy work.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Called from the job's thread after each progress report and when the result is ready.
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// A notify that does nothing (command line, tests).
#[must_use]
pub fn no_notify() -> Notify {
    Arc::new(|| {})
}

/// What the job's thread holds: report progress, ask whether it was cancelled.
pub struct JobContext<P> {
    progress: Arc<Mutex<P>>,
    cancel: Arc<AtomicBool>,
    notify: Notify,
}

impl<P> JobContext<P> {
    /// Replaces the progress and wakes the UI.
    pub fn report(&self, progress: P) {
        *self.progress.lock().unwrap_or_else(PoisonError::into_inner) = progress;
        (self.notify)();
    }

    /// Whether the job was asked to stop.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// The cancel flag, for work that polls an `AtomicBool` itself.
    #[must_use]
    pub fn cancel_flag(&self) -> &AtomicBool {
        &self.cancel
    }

    /// Wakes the UI without new progress.
    pub fn notify(&self) {
        (self.notify)();
    }
}

/// Work running on its own thread, seen from the thread that started it.
pub struct Job<P, R> {
    name: String,
    progress: Arc<Mutex<P>>,
    cancel: Arc<AtomicBool>,
    result: Arc<Mutex<Option<R>>>,
    started: Instant,
    /// The result has been taken.
    taken: bool,
}

impl<P: Send + 'static, R: Send + 'static> Job<P, R> {
    /// Starts `work` on a thread called `name`, with `initial` progress.
    ///
    /// # Errors
    /// The operating system refused a new thread; nothing runs then.
    pub fn spawn(name: &str, initial: P, notify: Notify, work: impl FnOnce(&JobContext<P>) -> R + Send + 'static) -> std::io::Result<Self> {
        let progress = Arc::new(Mutex::new(initial));
        let cancel = Arc::new(AtomicBool::new(false));
        let result = Arc::new(Mutex::new(None));
        let context = JobContext { progress: Arc::clone(&progress), cancel: Arc::clone(&cancel), notify };
        let slot = Arc::clone(&result);
        std::thread::Builder::new().name(name.to_owned()).spawn(move || {
            let outcome = work(&context);
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
            context.notify();
        })?;
        Ok(Self { name: name.to_owned(), progress, cancel, result, started: Instant::now(), taken: false })
    }
}

impl<P, R> Job<P, R> {
    /// The thread's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The progress last reported.
    #[must_use]
    pub fn progress(&self) -> P
    where
        P: Clone,
    {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Asks the work to stop; it decides when (see [`JobContext::is_cancelled`]).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether [`Self::cancel`] was called.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// The result, once, when the work is done.
    pub fn take_result(&mut self) -> Option<R> {
        let taken = self.result.lock().unwrap_or_else(PoisonError::into_inner).take();
        self.taken |= taken.is_some();
        taken
    }

    /// Whether the work is still running (its result not yet there nor taken).
    #[must_use]
    pub fn is_running(&self) -> bool {
        !self.taken && self.result.lock().unwrap_or_else(PoisonError::into_inner).is_none()
    }

    /// Time since the job started.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Waits up to `timeout` for the result (tests and the command line; never the UI thread).
    pub fn wait(&mut self, timeout: Duration) -> Option<R> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(result) = self.take_result() {
                return Some(result);
            }
            if Instant::now() >= deadline || self.taken {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl<P, R> std::fmt::Debug for Job<P, R> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Job").field("name", &self.name).field("elapsed", &self.started.elapsed()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn progress_result_and_notify_reach_the_starting_thread() {
        let woken = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&woken);
        let notify: Notify = Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let mut job = Job::spawn("test-job", 0_u32, notify, |context| {
            for step in 1..=3 {
                context.report(step);
            }
            "done"
        })
        .expect("thread");
        assert_eq!(job.wait(Duration::from_secs(5)), Some("done"));
        assert_eq!(job.progress(), 3);
        assert!(!job.is_running());
        assert_eq!(job.take_result(), None, "a result is handed over once");
        assert_eq!(woken.load(Ordering::Relaxed), 4, "three reports and the result");
    }

    #[test]
    fn a_cancelled_job_sees_the_flag() {
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let mut job = Job::spawn("test-cancel", (), no_notify(), move |context| {
            started_tx.send(()).ok();
            while !context.is_cancelled() {
                std::thread::sleep(Duration::from_millis(1));
            }
            42
        })
        .expect("thread");
        started_rx.recv().expect("started");
        assert!(job.is_running());
        job.cancel();
        assert_eq!(job.wait(Duration::from_secs(5)), Some(42));
    }
}
