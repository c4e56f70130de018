//! Every byte the CLI prints goes through here: text is sanitised (newlines and tabs kept),
//! JSON keeps its data with controls escaped, and a closed stdout (`drtui run … | head -1`)
//! is noticed, never a panic: what the run does is in its journal either way.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use drtui_core::text::{escape_json, sanitize_block};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether a write to stdout found it closed.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::SeqCst)
}

/// Writes to stdout as it is (only for drtui's own control sequences, such as clearing the
/// screen between `status --watch` frames). A closed stdout is remembered, not fatal.
pub fn raw(text: &str) {
    if stdout_closed() {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        STDOUT_CLOSED.store(true, Ordering::SeqCst);
    }
}

/// Human-readable text to stdout, sanitised.
pub fn text(text: &str) {
    raw(&sanitize_block(text));
}

/// A JSON document (or line) to stdout, with unsafe characters escaped.
pub fn json(json: &str) {
    raw(&escape_json(json));
}

/// A message to stderr, sanitised; a closed stderr is ignored.
pub fn error(text: &str) {
    let _ = std::io::stderr()
        .lock()
        .write_all(sanitize_block(text).as_bytes());
}

/// `println!` through [`text`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::text(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` through [`text`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::text(&format!($($arg)*))
    };
}

/// `eprintln!` through [`error`].
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::error(&format!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {errln, out, outln};
