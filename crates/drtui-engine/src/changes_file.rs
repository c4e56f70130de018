//! The dashboard's timeline on disk: one JSON line per change in
//! `STATE/timeline/<pair>.jsonl` (0600, one write per line), so `runs show --markdown` can put
//! what the estate did beside what the run did.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::files;
use drtui_core::changes::Change;
use drtui_core::clock::Timestamp;

/// How much of a timeline file is read back (its newest part).
const READ_LIMIT: u64 = 8 * 1024 * 1024;

fn path(state: &Path, pair: &str) -> PathBuf {
    state
        .join("timeline")
        .join(format!("{}.jsonl", drtui_core::text::safe_component(pair)))
}

/// Appends `changes` to their pair's timeline.
pub fn append(state: &Path, changes: &[Change]) -> std::io::Result<()> {
    let Some(first) = changes.first() else {
        return Ok(());
    };
    let dir = state.join("timeline");
    files::private_dir(state)?;
    files::private_dir(&dir)?;
    let file_path = path(state, &first.pair);
    let mut file = files::private_append(&file_path)?;
    // A line torn by a crash is closed first, so the next record starts on its own line.
    if ends_mid_line(&file_path) {
        std::io::Write::write_all(&mut file, b"\n")?;
    }
    for change in changes {
        let line = serde_json::to_string(change).map_err(std::io::Error::other)?;
        files::append_line(&mut file, &line)?;
    }
    Ok(())
}

fn ends_mid_line(path: &Path) -> bool {
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1)).is_ok() && file.read_exact(&mut last).is_ok() && last[0] != b'\n'
}

/// The pair's recorded changes between `from` and `to`, oldest first. Lines that do not parse
/// (a torn last line, a newer format, bytes that are not UTF-8) are passed over; the rest is
/// read.
pub fn between(state: &Path, pair: &str, from: Timestamp, to: Timestamp) -> Vec<Change> {
    let Ok(mut file) = crate::files::open_regular(&path(state, pair)) else {
        return Vec::new();
    };
    let length = file.metadata().map(|meta| meta.len()).unwrap_or(0);
    if length > READ_LIMIT && file.seek(SeekFrom::Start(length - READ_LIMIT)).is_err() {
        return Vec::new();
    }
    let mut bytes = Vec::new();
    if file.take(READ_LIMIT).read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    bytes
        .split(|byte| *byte == b'\n')
        .filter_map(|line| std::str::from_utf8(line).ok())
        .filter_map(|line| serde_json::from_str::<Change>(line).ok())
        .filter(|change| change.at >= from && change.at <= to)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use drtui_core::changes::ChangeKind;

    fn change(seconds: i64, what: &str) -> Change {
        Change {
            at: chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default(),
            pair: "prod".into(),
            kind: ChangeKind::Weights,
            what: what.into(),
        }
    }

    #[test]
    fn changes_written_are_read_back_within_a_window_and_a_torn_line_is_passed_over() {
        let state = tempfile::tempdir().expect("state");
        append(state.path(), &[change(0, "a"), change(60, "b")]).expect("append");
        append(state.path(), &[change(120, "c")]).expect("append");
        let file = path(state.path(), "prod");
        let mut torn = files::private_append(&file).expect("open");
        std::io::Write::write_all(&mut torn, b"{\"at\":\"20").expect("torn");
        let window = between(state.path(), "prod", change(30, "").at, change(200, "").at);
        let whats: Vec<&str> = window.iter().map(|change| change.what.as_str()).collect();
        assert_eq!(whats, ["b", "c"]);
        // The next append after the torn line is whole.
        append(state.path(), &[change(150, "d")]).expect("append");
        let whats: Vec<String> =
            between(state.path(), "prod", change(0, "").at, change(999, "").at)
                .into_iter()
                .map(|change| change.what)
                .collect();
        assert_eq!(whats, ["a", "b", "c", "d"]);
        assert!(between(state.path(), "other", change(0, "").at, change(999, "").at).is_empty());
    }
}
