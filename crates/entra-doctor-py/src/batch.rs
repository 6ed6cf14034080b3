//! Many tokens at once: read from Python a block at a time and checked on
//! worker threads while the next blocks are read and the finished ones are
//! turned into Python objects.
//!
//! Why it is a pipeline: reading the tokens out of Python objects and making
//! the results' Python objects need the GIL, so they run on the calling
//! thread alone. Done before and after the checks, they left every other
//! core idle for a tenth of a 100k-token call. Here the calling thread is
//! one of the `threads`: it reads while the others start checking, then
//! checks blocks itself between making the results of those that are done,
//! so the cores stay busy and no more threads run than were asked for. The
//! results reach the caller in input order, whatever order the blocks
//! finish in.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};

use entra_token::Policy;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyIterator, PyString};

/// Tokens a block holds: small, because tokens of one kind cluster in logs
/// and the workers should share them out evenly.
const BLOCK: usize = 256;

/// One block of a batch: the tokens read from Python, each one's instant,
/// and once checked, each one's result.
pub(crate) struct Block<T> {
    pub(crate) texts: Vec<Option<String>>,
    /// The tokens as the caller gave them, when the reader keeps them.
    pub(crate) items: Vec<PyObject>,
    pub(crate) instants: Vec<i64>,
    pub(crate) results: Vec<T>,
    /// What a check of this block panicked with (a bug): the call then fails
    /// with it as a `RuntimeError`.
    panicked: Option<String>,
}

impl<T> Block<T> {
    fn check(&mut self, policy: &mut Policy, one: &(impl Fn(&str, &Policy) -> T + Sync)) {
        self.results.reserve_exact(self.texts.len());
        let (texts, instants, results) = (&self.texts, &self.instants, &mut self.results);
        let checked = std::panic::catch_unwind(AssertUnwindSafe(|| {
            for (text, now) in texts.iter().zip(instants) {
                policy.now = *now;
                results.push(one(text.as_deref().unwrap_or(""), policy));
            }
        }));
        if let Err(payload) = checked {
            self.panicked = Some(panic_text(payload.as_ref()));
        }
    }

    /// The block, or the error its check panicked with.
    fn checked(mut self) -> PyResult<Block<T>> {
        match self.panicked.take() {
            None => Ok(self),
            Some(why) => Err(PyRuntimeError::new_err(format!(
                "a check panicked (a bug in entra-doctor; please report it with the token's header): {why}"
            ))),
        }
    }
}

/// The message a panic carried.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// Reads `tokens` (str, bytes or None each) and the matching `ats` (None:
/// `default`) from Python, a block at a time, within `max` tokens; with
/// `keep`, each block also holds the objects read.
pub(crate) struct Reader<'py> {
    tokens: Bound<'py, PyIterator>,
    keep: bool,
    ats: Option<Bound<'py, PyIterator>>,
    default: i64,
    read: usize,
    max: usize,
    instant_of: fn(&Bound<'py, PyAny>) -> PyResult<i64>,
}

impl<'py> Reader<'py> {
    pub(crate) fn new(
        tokens: &Bound<'py, PyAny>,
        ats: Option<&Bound<'py, PyAny>>,
        default: i64,
        max: usize,
        keep: bool,
        instant_of: fn(&Bound<'py, PyAny>) -> PyResult<i64>,
    ) -> PyResult<Reader<'py>> {
        Ok(Reader {
            tokens: tokens.try_iter()?,
            keep,
            ats: match ats.filter(|a| !a.is_none()) {
                Some(a) => Some(a.try_iter()?),
                None => None,
            },
            default,
            read: 0,
            max,
            instant_of,
        })
    }

    /// The next block, or None when every token has been read.
    fn next_block<T>(&mut self) -> PyResult<Option<Block<T>>> {
        let mut block = Block {
            texts: Vec::with_capacity(BLOCK),
            items: Vec::with_capacity(if self.keep { BLOCK } else { 0 }),
            instants: Vec::with_capacity(BLOCK),
            results: Vec::new(),
            panicked: None,
        };
        while block.texts.len() < BLOCK {
            let Some(item) = self.tokens.next() else {
                self.no_more_instants()?;
                break;
            };
            let item = item?;
            if self.read >= self.max {
                return Err(PyValueError::new_err(format!(
                    "over {} tokens in one call: split the input",
                    self.max
                )));
            }
            block.texts.push(text_of(&item)?);
            block.instants.push(self.instant()?);
            if self.keep {
                block.items.push(item.unbind());
            }
            self.read += 1;
        }
        Ok((!block.texts.is_empty()).then_some(block))
    }

    /// The instant of the token just read.
    fn instant(&mut self) -> PyResult<i64> {
        let Some(ats) = &mut self.ats else {
            return Ok(self.default);
        };
        match ats.next() {
            Some(at) => {
                let at = at?;
                if at.is_none() {
                    Ok(self.default)
                } else {
                    (self.instant_of)(&at)
                }
            }
            None => {
                let (more, all) = count(&mut self.tokens)?;
                Err(mismatch((self.read, true), (self.read + 1 + more, all)))
            }
        }
    }

    /// Every token is read: `ats` must have ended too.
    fn no_more_instants(&mut self) -> PyResult<()> {
        match &mut self.ats {
            Some(ats) => match count(ats)? {
                (0, _) => Ok(()),
                (more, all) => Err(mismatch((self.read + more, all), (self.read, true))),
            },
            None => Ok(()),
        }
    }
}

/// `ats` and `tokens` differ in length: each length with whether it is all
/// of them (a [`count`] stops at [`COUNT_AT_MOST`]).
fn mismatch(instants: (usize, bool), tokens: (usize, bool)) -> PyErr {
    let shown = |(n, all): (usize, bool)| {
        if all {
            n.to_string()
        } else {
            format!("over {n}")
        }
    };
    PyValueError::new_err(format!(
        "ats has {} entries for {} tokens",
        shown(instants),
        shown(tokens)
    ))
}

/// Items of an iterator counted past a mismatch, for its message: no more
/// than this many, so that an endless one fails fast.
const COUNT_AT_MOST: usize = 1_000_000;

/// What is left of an iterator, counted up to [`COUNT_AT_MOST`] (for the
/// message of a mismatch), and whether that was all of it.
fn count(it: &mut Bound<'_, PyIterator>) -> PyResult<(usize, bool)> {
    let mut n = 0;
    for item in it {
        item?;
        if n == COUNT_AT_MOST {
            return Ok((n, false));
        }
        n += 1;
    }
    Ok((n, true))
}

/// One token: its text, or None (null in a table).
pub(crate) fn text_of(item: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if item.is_none() {
        Ok(None)
    } else if let Ok(s) = item.downcast::<PyString>() {
        Ok(Some(s.to_cow()?.into_owned()))
    } else if let Ok(b) = item.downcast::<PyBytes>() {
        Ok(Some(String::from_utf8_lossy(b.as_bytes()).into_owned()))
    } else {
        Err(PyTypeError::new_err(format!(
            "tokens must be str (or bytes, or None), not {}",
            item.get_type().name()?
        )))
    }
}

/// Blocks a batch holds at once per thread (read and not yet handed to
/// `sink`): the memory of a call stays bounded whatever the input's length.
const AHEAD_PER_THREAD: usize = 4;

/// Checks every token `reader` reads with `one` (given the policy at that
/// token's instant) on `threads` threads, and hands each block, checked, to
/// `sink` on this thread, in input order. The GIL is held only while
/// reading and in `sink`; the checks never hold it. At most
/// [`AHEAD_PER_THREAD`] blocks per thread are held at once; Ctrl-C (or any
/// pending signal's exception) stops the call between blocks.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    mut reader: Reader<'_>,
    policy: &Policy,
    threads: usize,
    one: impl Fn(&str, &Policy) -> T + Sync,
    mut sink: impl FnMut(Block<T>) -> PyResult<()>,
) -> PyResult<()> {
    let threads = threads.clamp(1, 256);
    let first = reader.next_block()?;
    let mut second = match first {
        Some(_) if threads > 1 => reader.next_block()?,
        _ => None,
    };
    if second.is_none() {
        // One thread, or a single block: nothing to overlap with; each block
        // checked without the GIL, in turn.
        let mut p = policy.clone();
        let mut next = first;
        while let Some(mut block) = next {
            py.allow_threads(|| block.check(&mut p, &one));
            sink(block.checked()?)?;
            py.check_signals()?;
            next = reader.next_block()?;
        }
        return Ok(());
    }
    let (jobs, todo) = crossbeam_channel::unbounded::<(usize, Block<T>)>();
    let (done, finished) = crossbeam_channel::unbounded::<(usize, Block<T>)>();
    // Set when the call fails: the workers then pass the blocks left
    // through unchecked.
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        // This thread is one of the `threads`: it checks blocks too, between
        // reading and making results, so that no more threads run than
        // there are cores to share.
        for _ in 1..threads {
            let (todo, done, stop, one) = (todo.clone(), done.clone(), &stop, &one);
            let mut p = policy.clone();
            s.spawn(move || {
                for (i, mut block) in todo {
                    if !stop.load(Ordering::Relaxed) {
                        block.check(&mut p, one);
                    }
                    if done.send((i, block)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        let mut order = InOrder::default();
        let mut p = policy.clone();
        let ahead = AHEAD_PER_THREAD * threads;
        let mut jobs = Some(jobs);
        let mut sent = 0;
        let mut next = first;
        let outcome = (|| -> PyResult<()> {
            loop {
                while let Ok((i, block)) = finished.try_recv() {
                    order.put(i, block, &mut sink)?;
                }
                if let Some(queue) = jobs.as_ref().filter(|_| sent - order.next < ahead) {
                    match next.take() {
                        Some(block) => {
                            queue.send((sent, block)).map_err(|_| {
                                PyRuntimeError::new_err("the batch's workers stopped")
                            })?;
                            sent += 1;
                            next = match sent {
                                1 => second.take(),
                                _ => reader.next_block()?,
                            };
                        }
                        // Every block is out: the workers stop when the
                        // queue is empty.
                        None => jobs = None,
                    }
                    continue;
                }
                if jobs.is_none() && order.next == sent {
                    return Ok(());
                }
                // Enough is read: check a block here, or wait for one.
                if let Ok((i, mut block)) = todo.try_recv() {
                    py.allow_threads(|| block.check(&mut p, &one));
                    order.put(i, block, &mut sink)?;
                } else {
                    let got = py.allow_threads(|| finished.recv());
                    let (i, block) = got.map_err(|_| {
                        PyRuntimeError::new_err("the batch's workers stopped before the end")
                    })?;
                    order.put(i, block, &mut sink)?;
                }
                py.check_signals()?;
            }
        })();
        if outcome.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        // The blocks no one took (after a failure) go with the queue.
        drop(jobs);
        drop(todo);
        outcome
    })
}

/// Blocks that finished before those ahead of them, held until their turn.
struct InOrder<T> {
    next: usize,
    early: BTreeMap<usize, Block<T>>,
}

impl<T> Default for InOrder<T> {
    fn default() -> Self {
        InOrder {
            next: 0,
            early: BTreeMap::new(),
        }
    }
}

impl<T> InOrder<T> {
    fn put(
        &mut self,
        i: usize,
        block: Block<T>,
        sink: &mut impl FnMut(Block<T>) -> PyResult<()>,
    ) -> PyResult<()> {
        self.early.insert(i, block.checked()?);
        while let Some(block) = self.early.remove(&self.next) {
            self.next += 1;
            sink(block)?;
        }
        Ok(())
    }
}
