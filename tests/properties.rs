//! Property tests of what drtui reads from outside: the config parser, the runbook parser and
//! validator, and journal replay. Whatever the input, they return a located error or a value,
//! never a panic; journal replay keeps every complete record however the file was cut.
//!
//! The test run uses `DRTUI_PROPTEST_CASES` cases per property (default 1,000); the documented
//! long run (RELIABILITY.md) is `DRTUI_PROPTEST_CASES=100000 cargo test --release --test properties`.
//! Every input that ever crashed one of them is kept under `tests/regressions/` and replayed.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a failed expectation is the test's failure message"
)]

use std::path::Path;

use drtui_core::config::parse_pairs;
use drtui_core::runbook::journal::{self, Event, Record, RunSummary, StepOutcome};
use drtui_core::runbook::validate;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("DRTUI_PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(1_000)
}

const VALID_CONFIG: &str = include_str!("../drtui.example.toml");
const VALID_RUNBOOK: &str = include_str!("../runbooks/failover.yaml");

/// A valid text with a few random edits: deletions, insertions of hostile bytes, duplications.
fn mutated(valid: &'static str) -> impl Strategy<Value = String> {
    let edits = prop::collection::vec(
        (
            0..valid.len(),
            0..12usize,
            prop::sample::select(vec![
                "",
                "\u{1b}[2J",
                "\u{202e}",
                "\u{7f}",
                "\"",
                "'",
                "[",
                "]",
                "{",
                "}",
                ":",
                "-",
                "\n",
                "  ",
                "${",
                "10000000000000000000s",
                "0s",
                "#",
                "\t",
                "\u{0}",
                "é",
                "- id: x\n",
            ]),
        ),
        1..6,
    );
    edits.prop_map(move |edits| {
        let mut text = valid.to_owned();
        for (at, cut, insert) in edits {
            let mut at = at.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.replace_range(at..end, insert);
        }
        text
    })
}

/// Where a `file:line:col` error points, if it says.
fn located(message: &str, file: &str) -> Option<(usize, usize)> {
    let rest = message.strip_prefix(file)?.strip_prefix(':')?;
    let mut parts = rest.splitn(3, ':');
    let line = parts.next()?.parse().ok()?;
    let column = parts.next()?.parse().ok()?;
    Some((line, column))
}

fn check_config(text: &str) {
    match parse_pairs(text, Path::new("drtui.toml")) {
        Ok(pairs) => {
            for pair in pairs {
                // Whatever was accepted is usable: durations bounded, regions distinct.
                assert!(pair.poll_interval.as_secs() <= 3600);
                assert_ne!(pair.primary, pair.secondary);
                let _ = pair.stale_after();
            }
        }
        Err(error) => {
            let message = error.to_string();
            if let Some((line, _)) = located(&message, "drtui.toml") {
                assert!(
                    line >= 1 && line <= text.lines().count().max(1) + 1,
                    "{message}"
                );
            }
        }
    }
}

fn check_runbook(text: &str) {
    if let Err(errors) = validate::load(text, "r.yaml") {
        let message = errors.to_string();
        assert!(!message.is_empty());
    }
}

fn record(at: i64, event: Event) -> Record {
    Record {
        at: chrono::DateTime::from_timestamp(1_800_000_000 + at, 0).expect("instant"),
        run_id: "failover-1".into(),
        event,
    }
}

fn any_event() -> impl Strategy<Value = Event> {
    let step = prop::sample::select(vec!["check", "approve", "promote", "shift", "verify"]);
    prop_oneof![
        step.clone().prop_map(|step| Event::StepStarted {
            step: step.into(),
            kind: "action".into(),
            inputs: serde_json::Value::Null,
        }),
        (step.clone(), 0..3u8, ".{0,20}").prop_map(|(step, outcome, detail)| {
            Event::StepFinished {
                step: step.into(),
                outcome: [StepOutcome::Ok, StepOutcome::Skipped, StepOutcome::Failed]
                    [usize::from(outcome)],
                detail,
            }
        }),
        step.clone().prop_map(|step| Event::Approved {
            step: step.into(),
            by: "me".into(),
            how: "typed".into(),
            data_at_risk_ms: Some(150.0),
            data_at_risk_age_s: Some(1.0),
            stores: Vec::new(),
        }),
        step.prop_map(|step| Event::GateBlocked { step: step.into() }),
        Just(Event::Resumed { by: "me".into() }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_text_as_config_is_a_value_or_a_located_error(text in ".{0,400}") {
        check_config(&text);
    }

    #[test]
    fn an_edited_valid_config_is_a_value_or_a_located_error(text in mutated(VALID_CONFIG)) {
        check_config(&text);
    }

    #[test]
    fn any_text_as_runbook_is_a_runbook_or_errors(text in ".{0,400}") {
        check_runbook(&text);
    }

    #[test]
    fn an_edited_valid_runbook_is_a_runbook_or_errors(text in mutated(VALID_RUNBOOK)) {
        check_runbook(&text);
    }

    #[test]
    fn journal_replay_keeps_every_complete_record_however_the_file_is_cut(
        events in prop::collection::vec(any_event(), 0..30),
        cut in 0usize..10_000,
        garbage in ".{0,40}",
    ) {
        let records: Vec<Record> = events
            .into_iter()
            .enumerate()
            .map(|(index, event)| record(index as i64, event))
            .collect();
        let mut text = String::new();
        for record in &records {
            text.push_str(&journal::line(record).expect("line"));
            text.push('\n');
        }
        // Cut anywhere (a crash mid-write), then maybe garbage after the cut.
        let mut at = cut.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let complete = text[..at].matches('\n').count();
        let torn = format!("{}{garbage}", &text[..at]);
        let replay = journal::parse(&torn, "j.jsonl");
        prop_assert!(replay.records.len() >= complete.min(records.len()));
        prop_assert_eq!(&replay.records[..complete], &records[..complete]);
        let summary = RunSummary::of(&replay.records);
        let _ = summary.active_seconds();
    }
}

/// Inputs that once crashed a parser: each must now be a value or an error.
#[test]
fn recorded_regressions_stay_fixed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("tests/regressions") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("text");
        match path.extension().and_then(|ext| ext.to_str()) {
            Some("toml") => check_config(&text),
            Some("yaml") => check_runbook(&text),
            Some("jsonl") => {
                let _ = RunSummary::of(&journal::parse(&text, "j.jsonl").records);
            }
            _ => continue,
        }
        count += 1;
    }
    assert!(count >= 1, "no regression files in {dir}");
}
