//! The age badge every panel carries in its title, so stale data never passes for current.
//! Green when fresh, yellow when stale, red with the error when a fetch failed.

use crate::app::App;
use crate::format;
use crate::theme::Tone;
use drtui_core::model::{Freshness, Source};

/// "3s ago" when every source is fresh; otherwise why not, with the oldest age.
pub fn badge(app: &App, sources: &[Source]) -> (String, Tone) {
    let stale_after = app.pair.stale_after();
    let metas: Vec<_> = sources
        .iter()
        .map(|source| app.snapshot.meta(*source))
        .collect();
    let worst = metas
        .iter()
        .map(|meta| meta.freshness(app.now, stale_after))
        .max()
        .unwrap_or(Freshness::Pending);
    let oldest = metas.iter().filter_map(|meta| meta.age(app.now)).max();
    match (worst, oldest) {
        (Freshness::Fresh, Some(age)) => (format!("{} ago", format::age(age)), Tone::Muted),
        (Freshness::Pending, _) => ("loading…".to_owned(), Tone::Unknown),
        (Freshness::Stale, Some(age)) => (format!("? STALE {}", format::age(age)), Tone::Unknown),
        (_, Some(age)) => (format!("✖ ERRORS · oldest {}", format::age(age)), Tone::Bad),
        (_, None) => ("✖ NO DATA".to_owned(), Tone::Bad),
    }
}
