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
}

impl<T> Block<T> {
    fn check(&mut self, policy: &mut Policy, one: &(impl Fn(&str, &Policy) -> T + Sync)) {
        self.results.reserve_exact(self.texts.len());
        for (text, now) in self.texts.iter().zip(&self.instants) {
            policy.now = *now;
            self.results
                .push(one(text.as_deref().unwrap_or(""), policy));
        }
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
                let tokens = self.read + 1 + count(&mut self.tokens)?;
                Err(mismatch(self.read, tokens))
            }
        }
    }

    /// Every token is read: `ats` must have ended too.
    fn no_more_instants(&mut self) -> PyResult<()> {
        match &mut self.ats {
            Some(ats) => match count(ats)? {
                0 => Ok(()),
                more => Err(mismatch(self.read + more, self.read)),
            },
            None => Ok(()),
        }
    }
}

fn mismatch(instants: usize, tokens: usize) -> PyErr {
    PyValueError::new_err(format!("ats has {instants} entries for {tokens} tokens"))
}

/// What is left of an iterator, counted (for the message of a mismatch).
fn count(it: &mut Bound<'_, PyIterator>) -> PyResult<usize> {
    let mut n = 0;
    for item in it {
        item?;
        n += 1;
    }
    Ok(n)
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

/// Checks every token `reader` reads with `one` (given the policy at that
/// token's instant) on `threads` threads, and hands each block, checked, to
/// `sink` on this thread, in input order. The GIL is held only while
/// reading and in `sink`; the checks never hold it.
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
            sink(block)?;
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
        let read = || -> PyResult<usize> {
            let mut sent = 0;
            let mut next = first;
            while let Some(block) = next {
                jobs.send((sent, block))
                    .map_err(|_| PyRuntimeError::new_err("the batch's workers stopped"))?;
                sent += 1;
                while let Ok((i, block)) = finished.try_recv() {
                    order.put(i, block, &mut sink)?;
                }
                next = match sent {
                    1 => second.take(),
                    _ => reader.next_block()?,
                };
            }
            Ok(sent)
        };
        let outcome = read();
        if outcome.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        // Every block is out: the workers stop when the queue is empty.
        drop(jobs);
        let mut p = policy.clone();
        let outcome = outcome.and_then(|sent| {
            while order.next < sent {
                if let Ok((i, block)) = finished.try_recv() {
                    order.put(i, block, &mut sink)?;
                } else if let Ok((i, mut block)) = todo.try_recv() {
                    py.allow_threads(|| block.check(&mut p, &one));
                    order.put(i, block, &mut sink)?;
                } else {
                    // Every block is taken: wait for the workers' last ones.
                    let got = py.allow_threads(|| finished.recv());
                    let (i, block) = got.map_err(|_| {
                        PyRuntimeError::new_err("the batch's workers stopped before the end")
                    })?;
                    order.put(i, block, &mut sink)?;
                }
            }
            Ok(())
        });
        if outcome.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        // The blocks no one took (after a failure) go with the queue.
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
        self.early.insert(i, block);
        while let Some(block) = self.early.remove(&self.next) {
            self.next += 1;
            sink(block)?;
        }
        Ok(())
    }
}
