//! Progress of the network steps: a spinner on standard error when it is a
//! terminal, naming the steps under way, and one line per finished step.
//! When standard error is not a terminal nothing is written.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

#[derive(Default)]
struct State {
    /// Steps under way: (id, label, started, deadline for a countdown).
    active: Vec<(u64, String, Instant, Option<Instant>)>,
    next_id: u64,
    /// Width of the last spinner line drawn, to clear it.
    drawn: usize,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The progress display. Cheap to clone; the spinner stops when the last
/// clone is dropped or [`Progress::finish`] is called.
#[derive(Clone)]
pub struct Progress {
    shared: Option<Arc<Shared>>,
    thread: Option<Arc<Mutex<Option<JoinHandle<()>>>>>,
}

impl Progress {
    /// A spinner on standard error if it is a terminal (and `enabled`).
    pub fn stderr(enabled: bool) -> Progress {
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress::none();
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || spin(&s))
            .ok();
        Progress {
            shared: Some(shared),
            thread: Some(Arc::new(Mutex::new(handle))),
        }
    }

    /// No display at all.
    pub fn none() -> Progress {
        Progress {
            shared: None,
            thread: None,
        }
    }

    /// Starts a step; finish it with [`Step::done`] or [`Step::failed`].
    pub fn start(&self, label: impl Into<String>) -> Step {
        self.start_step(label.into(), None)
    }

    /// Starts a step that waits until `deadline` at most (a sign-in): the
    /// spinner counts down the time left instead of up.
    pub fn start_until(&self, label: impl Into<String>, deadline: Instant) -> Step {
        self.start_step(label.into(), Some(deadline))
    }

    fn start_step(&self, label: String, deadline: Option<Instant>) -> Step {
        let id = match &self.shared {
            Some(s) => {
                let mut st = lock(&s.state);
                st.next_id += 1;
                let id = st.next_id;
                st.active
                    .push((id, label.clone(), Instant::now(), deadline));
                id
            }
            None => 0,
        };
        Step {
            progress: self.clone(),
            id,
            label,
            started: Instant::now(),
            finished: false,
        }
    }

    fn end(&self, id: u64, ok: bool, label: &str, detail: &str, elapsed: Duration) {
        let Some(s) = &self.shared else { return };
        let mut st = lock(&s.state);
        st.active.retain(|(i, _, _, _)| *i != id);
        let mut err = std::io::stderr().lock();
        clear(&mut err, st.drawn);
        st.drawn = 0;
        let (mark, style) = if ok {
            ("✓", "\x1b[32m")
        } else {
            ("✗", "\x1b[31m")
        };
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        };
        let _ = writeln!(
            err,
            "{style}{mark}\x1b[0m {}{} \x1b[2m({} ms)\x1b[0m",
            crate::render::text::shown(label),
            crate::render::text::shown(&detail),
            elapsed.as_millis()
        );
        let _ = err.flush();
    }

    /// Writes a line to standard error without mixing it into the spinner's
    /// line (a sign-in URL, a device code).
    pub fn println(&self, text: &str) {
        let text = crate::render::text::shown(text);
        let mut err = anstream::stderr();
        match &self.shared {
            Some(s) => {
                let mut st = lock(&s.state);
                clear(&mut err, st.drawn);
                st.drawn = 0;
                let _ = writeln!(err, "{text}");
            }
            None => {
                let _ = writeln!(err, "{text}");
            }
        }
        let _ = err.flush();
    }

    /// Stops the spinner and clears its line.
    pub fn finish(&self) {
        if let Some(s) = &self.shared {
            s.stop.store(true, Ordering::SeqCst);
        }
        if let Some(t) = &self.thread {
            let handle = t
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            if let Some(h) = handle {
                let _ = h.join();
            }
        }
    }
}

fn clear(out: &mut impl Write, width: usize) {
    if width > 0 {
        let _ = write!(out, "\r{}\r", " ".repeat(width));
    }
}

fn spin(s: &Shared) {
    let mut frame = 0usize;
    while !s.stop.load(Ordering::SeqCst) {
        {
            let mut st = lock(&s.state);
            let mut err = std::io::stderr().lock();
            clear(&mut err, st.drawn);
            if st.active.is_empty() {
                st.drawn = 0;
            } else {
                let labels: Vec<String> = st
                    .active
                    .iter()
                    .map(|(_, l, t, deadline)| match deadline {
                        Some(d) => format!("{l} ({} left)", countdown(*d)),
                        None => format!("{l} ({:.1} s)", t.elapsed().as_secs_f64()),
                    })
                    .collect();
                let line = format!("{} {}", FRAMES[frame % FRAMES.len()], labels.join(" · "));
                let line = entra_token::text::clip(&crate::render::text::shown(&line), 100);
                let _ = write!(err, "\x1b[36m{line}\x1b[0m");
                st.drawn = line.chars().count();
            }
            let _ = err.flush();
        }
        frame += 1;
        std::thread::sleep(Duration::from_millis(80));
    }
    let mut st = lock(&s.state);
    let mut err = std::io::stderr().lock();
    clear(&mut err, st.drawn);
    st.drawn = 0;
    let _ = err.flush();
}

/// Time left until `deadline` as `m:ss` (or `h:mm:ss`).
fn countdown(deadline: Instant) -> String {
    let left = deadline.saturating_duration_since(Instant::now()).as_secs();
    let (h, m, s) = (left / 3600, left / 60 % 60, left % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A step under way.
pub struct Step {
    progress: Progress,
    id: u64,
    label: String,
    started: Instant,
    finished: bool,
}

impl Step {
    /// The step succeeded; `detail` says with what.
    pub fn done(mut self, detail: &str) {
        self.finished = true;
        self.progress
            .end(self.id, true, &self.label, detail, self.started.elapsed());
    }

    /// The step failed; `detail` says why.
    pub fn failed(mut self, detail: &str) {
        self.finished = true;
        self.progress
            .end(self.id, false, &self.label, detail, self.started.elapsed());
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if !self.finished {
            self.progress.end(
                self.id,
                false,
                &self.label,
                "abandoned",
                self.started.elapsed(),
            );
        }
    }
}
